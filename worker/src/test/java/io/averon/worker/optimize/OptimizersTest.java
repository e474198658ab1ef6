package io.averon.worker.optimize;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizersTest {
    private static final ISchedule LR = new FixedSchedule(0.01);

    @Test
    void namesMapOntoDl4jUpdaters() {
        assertEquals(new Sgd(LR), Optimizers.of("sgd", LR, 0.9, 0.9, 0.999, 1e-8));
        assertEquals(new Momentum(LR, 0.9), Optimizers.of("momentum", LR, 0.9, 0.9, 0.999, 1e-8));
        assertEquals(new Nesterovs(LR, 0.8), Optimizers.of("NESTEROV", LR, 0.8, 0.9, 0.999, 1e-8));

        for (String name : List.of("adam", "adamw")) {
            Adam adam = assertInstanceOf(Adam.class, Optimizers.of(name, LR, 0, 0.85, 0.995, 1e-7));
            assertEquals(0.85, adam.getBeta1());
            assertEquals(0.995, adam.getBeta2());
            assertEquals(1e-7, adam.getEpsilon());
            assertEquals(LR, adam.getLearningRateSchedule());
        }
        RmsProp rms = assertInstanceOf(RmsProp.class, Optimizers.of("rmsprop", LR, 0, 0.9, 0.95, 1e-6));
        assertEquals(0.95, rms.getRmsDecay());
        assertEquals(1e-6, rms.getEpsilon());
        assertEquals(LR, rms.getLearningRateSchedule());
        IUpdater adagrad = Optimizers.of("adagrad", LR, 0, 0.9, 0.95, 1e-6);
        assertEquals(new AdaGrad(LR, 1e-6), adagrad);
        // DL4J's AdaGrad.clone() drops the schedule (the builder clones updaters into layers); ours keeps it.
        assertNull(new AdaGrad(LR, 1e-6).clone().getLearningRateSchedule(),
                "DL4J AdaGrad.clone() no longer drops the schedule: ScheduledAdaGrad can go");
        assertEquals(LR, ((AdaGrad) adagrad.clone()).getLearningRateSchedule());
        ScheduledAdaGrad fixed = new ScheduledAdaGrad(LR, 1e-6);
        fixed.setLrAndSchedule(0.3, null);
        assertEquals(0.3, fixed.clone().getLearningRate(7, 1));
    }

    @Test
    void unknownNameListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Optimizers.of("lion", LR, 0.9, 0.9, 0.999, 1e-8));
        assertTrue(e.getMessage().contains("lion") && e.getMessage().contains(Optimizers.NAMES.toString()),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Optimizers.regularization("lion", 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.of("adam", LR, 0, 1.0, 0.999, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.of("adagrad", LR, 0, 0.9, 0.999, 0));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.of("sgd", null, 0, 0.9, 0.999, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.regularization("sgd", -1e-4, 0, 0));
    }

    @Test
    void regularizationLists() {
        assertEquals(List.of(), Optimizers.regularization("adam", 0, 0, 0));
        assertEquals(List.of(new WeightDecay(0.01, true)), Optimizers.regularization("adamw", 0, 0, 0.01));
        assertEquals(List.of(new L1Regularization(1e-5), new L2Regularization(1e-4), new WeightDecay(0.01, true)),
                Optimizers.regularization("AdamW", 1e-5, 1e-4, 0.01));
        // coupled (PyTorch weight_decay) for everything but adamw: folded into one L2 term
        List<Regularization> sgd = Optimizers.regularization("sgd", 1e-5, 1e-4, 1e-3);
        assertEquals(2, sgd.size());
        assertEquals(new L1Regularization(1e-5), sgd.get(0));
        assertEquals(1.1e-3, ((L2Regularization) sgd.get(1)).getL2().valueAt(0, 0), 1e-15);
        // LARS/LAMB: the decay lives in the trust-ratio step, which comes last (after L1/L2) even without decay
        assertEquals(List.of(new L2Regularization(1e-4), new LarsTrustRatio(0.02, 1e-3, 1e-9)),
                Optimizers.regularization("lars", 0, 1e-4, 1e-3, 0.02, 1e-9));
        assertEquals(List.of(new LarsTrustRatio(Optimizers.DEFAULT_TRUST_COEFFICIENT, 0,
                Optimizers.DEFAULT_LARS_EPSILON)), Optimizers.regularization("lars", 0, 0, 0));
        assertEquals(List.of(new L1Regularization(1e-5), new LambTrustRatio(0.01)),
                Optimizers.regularization("LAMB", 1e-5, 0, 0.01));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.regularization("lars", 0, 0, 0, 0, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> Optimizers.regularization("lars", 0, 0, 0, 1e-3, -1));
    }

    @Test
    void adamwDecaysWeightsByLrTimesDecayOutsideTheAdamStep() {
        double lr = 0.01;
        double wd = 0.1;
        INDArray w0 = Nd4j.createFromArray(new float[][]{{0.5f}, {-2f}});
        DataSet one = new DataSet(Nd4j.createFromArray(new float[][]{{1, 2}}), Nd4j.createFromArray(new float[][]{{3}}));
        IUpdater adam = Optimizers.of("adamw", new FixedSchedule(lr), 0, 0.9, 0.999, 1e-8);

        INDArray plain = oneStep(adam, List.of(), w0, one);
        INDArray decoupled = oneStep(adam, Optimizers.regularization("adamw", 0, 0, wd), w0, one);
        INDArray coupled = oneStep(adam, Optimizers.regularization("adam", 0, 0, wd), w0, one);

        // AdamW: the same Adam step plus lr * wd * w0: [0.0005, -0.002]
        INDArray extra = plain.sub(decoupled);
        assertArrayEquals(new double[]{0.0005, -0.002}, extra.toDoubleVector(), 1e-7);
        // Coupled L2 goes through Adam's normalisation, so it is not that (first Adam step ~ lr * sign(g)).
        assertTrue(Math.abs(plain.sub(coupled).getDouble(1) - (-0.002)) > 1e-4, "coupled differs from decoupled");
    }

    @Test
    void everyOptimizerRoundTripsThroughDl4jJsonWithItsRegularization() {
        ISchedule lr = LearningRates.of("cosine", 0.01, ScheduleType.ITERATION, 100, 0, 1e-4, 5, 0.1);
        for (String name : Optimizers.NAMES) {
            IUpdater updater = Optimizers.of(name, lr, 0.9, 0.9, 0.999, 1e-8);
            List<Regularization> regularization = Optimizers.regularization(name, 1e-6, 1e-5, 1e-3);
            MultiLayerConfiguration conf = config(updater, regularization, WeightInit.XAVIER);
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back, name);
            BaseLayer layer = (BaseLayer) back.getConf(0).getLayer();
            assertEquals(updater, layer.getIUpdater(), name);
            assertEquals(regularization, layer.getRegularization(), name);
            MultiLayerNetwork net = new MultiLayerNetwork(back);
            net.init();
            INDArray before = net.params().dup();
            DataSet one = new DataSet(Nd4j.createFromArray(new float[][]{{1, 2}}), Nd4j.createFromArray(new float[][]{{3}}));
            net.fit(one);
            net.fit(one);
            assertTrue(net.params().distance2(before) > 0, name + " moved the parameters");
        }
    }

    @Test
    void dl4jDoublesAGlobalWeightDecayWhichApplyRegularizationAvoids() {
        // Guards the reason applyRegularization exists: if DL4J stops doubling, this fails and the advice can go.
        MultiLayerConfiguration global = new NeuralNetConfiguration.Builder()
                .regularization(Optimizers.regularization("adamw", 0, 0, 0.1))
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(2).nOut(1).activation(Activation.IDENTITY).build())
                .build();
        assertEquals(List.of(new WeightDecay(0.1, true), new WeightDecay(0.1, true)),
                ((BaseLayer) global.getConf(0).getLayer()).getRegularization());

        Optimizers.applyRegularization(global, Optimizers.regularization("adamw", 0, 0, 0.1), List.of());
        assertEquals(List.of(new WeightDecay(0.1, true)), ((BaseLayer) global.getConf(0).getLayer()).getRegularization());
        assertEquals(List.of(), ((BaseLayer) global.getConf(0).getLayer()).getRegularizationBias());
    }

    @Test
    void applyRegularizationReachesEveryLayerOfAGraph() {
        ComputationGraphConfiguration graph = new NeuralNetConfiguration.Builder()
                .updater(Optimizers.of("adamw", LR, 0, 0.9, 0.999, 1e-8))
                .graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(3).nOut(1).activation(Activation.IDENTITY).build(), "hidden")
                .setOutputs("out")
                .build();
        List<Regularization> weights = Optimizers.regularization("adamw", 0, 1e-4, 0.05);
        Optimizers.applyRegularization(graph, weights, List.of(new L2Regularization(1e-5)));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(graph.toJson());
        assertEquals(graph, back);
        for (String name : List.of("hidden", "out")) {
            BaseLayer layer = (BaseLayer) ((LayerVertex) back.getVertices().get(name)).getLayerConf().getLayer();
            assertEquals(weights, layer.getRegularization(), name);
            assertEquals(List.of(new L2Regularization(1e-5)), layer.getRegularizationBias(), name);
        }
    }

    private static INDArray oneStep(IUpdater updater, List<Regularization> regularization, INDArray w0, DataSet data) {
        MultiLayerNetwork net = new MultiLayerNetwork(config(updater.clone(), regularization, WeightInit.ZERO));
        net.init();
        net.setParam("0_W", w0);
        net.fit(data);
        return net.getParam("0_W").dup();
    }

    private static MultiLayerConfiguration config(IUpdater updater, List<Regularization> regularization,
                                                  WeightInit init) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(3)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .weightInit(init)
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(2).nOut(1).activation(Activation.IDENTITY).build())
                .build();
        Optimizers.applyRegularization(conf, regularization, List.of());
        return conf;
    }
}
