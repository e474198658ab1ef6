package io.averon.worker;

import io.averon.worker.loss.DistillationLoss;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * The frozen teacher of knowledge distillation: a trained network (definition and parameters) that each worker runs
 * on its minibatch to get class probabilities, which join the hard labels as the student's targets for
 * {@link DistillationLoss}. It never trains; only its outputs travel into the student's loss.
 *
 * @param model      the teacher's configuration
 * @param parameters its trained parameters
 */
public record Teacher(ModelDefinition model, float[] parameters) implements Serializable {

    /** A ready teacher network on this executor. */
    public Instance instantiate() {
        Network net = model.instantiate();
        net.parameters().assign(Nd4j.createFromArray(parameters).reshape(net.parameters().shape()));
        return new Instance(net);
    }

    /** One executor's teacher network. */
    public static final class Instance {
        private final Network net;

        Instance(Network net) {
            this.net = net;
        }

        /** The batch with its labels widened to [hard one-hot | teacher probabilities], as the student's loss reads. */
        public DataSet distil(DataSet batch) {
            INDArray probabilities = net.output(batch.getFeatures());
            return new DataSet(batch.getFeatures(),
                    DistillationLoss.distillationLabels(batch.getLabels(), probabilities));
        }
    }
}
