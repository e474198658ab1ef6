package io.averon.jobs.models;

import io.averon.worker.ModelDefinition;
import io.averon.worker.ModelReplica;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker divides true gradients by its batch size but sends batch norm's running-statistic updates as they are
 * (DL4J's updater exempts them too). In a graph such as ResNet the layers are not listed in parameter order, so the
 * exemption must follow where each parameter really sits in the flat buffer: checked here parameter by parameter.
 */
class BatchNormGradientTest {
    @Test
    void onlyRunningStatisticsEscapeTheDivisionByBatchSize() {
        ModelDefinition model = ModelDefinition.of(ModelZoo.build("resnet18-small", new ModelShape(1, 28, 28, 10),
                NetworkOptions.defaults().withWidthMultiplier(0.25)));
        ModelReplica replica = new ModelReplica(model);
        int n = 4;
        DataSet batch = new DataSet(Nd4j.rand(new int[] {n, 1, 28, 28}), Nd4j.eye(10).getRows(0, 1, 2, 3));
        float[] sent = new float[replica.parameterCount()];
        replica.gradient(batch, sent);
        float[] raw = replica.network().flattenedGradients().toFloatVector();
        long base = replica.network().parameters().offset();
        int statistics = 0;
        int checked = 0;
        for (org.deeplearning4j.nn.api.Layer layer : replica.network().layers()) {
            for (var e : layer.paramTable(false).entrySet()) {
                boolean statistic = !layer.updaterDivideByMinibatch(e.getKey());
                statistics += statistic ? 1 : 0;
                INDArray view = e.getValue();
                int from = (int) (view.offset() - base);
                for (int i = from; i < from + view.length(); i++) {
                    float expected = statistic ? raw[i] : raw[i] / n;
                    assertEquals(expected, sent[i], Math.abs(expected) * 1e-6 + 1e-12,
                            layer.conf().getLayer().getLayerName() + "." + e.getKey() + "[" + (i - from) + "]");
                    checked++;
                }
            }
        }
        assertEquals(sent.length, checked, "every parameter checked once");
        assertTrue(statistics >= 2 * 20, "ResNet-18 has 20 batch-norm layers, each with a mean and a variance: "
                + statistics);
    }
}
