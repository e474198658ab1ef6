package io.averon.worker.optimize;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.RampSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LearningRatesTest {
    private static final double EXACT = 1e-12;
    // cos(pi/4) = 0.70710678118654752
    private static final double COS_QUARTER = 0.70710678118654752;

    @Test
    void cosineByIteration() {
        CosineSchedule s = new CosineSchedule(ScheduleType.ITERATION, 0.1, 0.0, 4);
        assertEquals(0.1, s.valueAt(0, 0), EXACT);
        assertEquals(0.05 * (1 + COS_QUARTER), s.valueAt(1, 0), EXACT);
        assertEquals(0.0853553390593274, s.valueAt(1, 0), 1e-15);
        assertEquals(0.05, s.valueAt(2, 7), EXACT);
        assertEquals(0.0146446609406726, s.valueAt(3, 0), 1e-15);
        assertEquals(0.0, s.valueAt(4, 0), EXACT);
        assertEquals(0.0, s.valueAt(100, 0), EXACT);
    }

    @Test
    void cosineByEpochWithFloor() {
        CosineSchedule s = new CosineSchedule(ScheduleType.EPOCH, 0.1, 0.01, 4);
        assertEquals(0.1, s.valueAt(999, 0), EXACT);
        assertEquals(0.01 + 0.09 * 0.5 * (1 + COS_QUARTER), s.valueAt(0, 1), EXACT);
        assertEquals(0.055, s.valueAt(5, 2), EXACT);
        assertEquals(0.01, s.valueAt(0, 4), EXACT);
        assertEquals(0.01, s.valueAt(0, 9), EXACT);
    }

    @Test
    void warmupRisesLinearlyFromStartFactor() {
        // f(i) = 0.25 + 0.75 i / 4: 0.25, 0.4375, 0.625, 0.8125, then 1
        WarmupSchedule s = new WarmupSchedule(new FixedSchedule(0.1), 4, 0.25, false);
        assertEquals(0.025, s.valueAt(0, 0), EXACT);
        assertEquals(0.04375, s.valueAt(1, 0), EXACT);
        assertEquals(0.0625, s.valueAt(2, 0), EXACT);
        assertEquals(0.08125, s.valueAt(3, 0), EXACT);
        assertEquals(0.1, s.valueAt(4, 0), EXACT);
        assertEquals(0.1, s.valueAt(50, 3), EXACT);
    }

    @Test
    void warmupKeepingTheBaseCountScalesTheBase() {
        // base: cosine 0.1 -> 0 over 4 iterations; W = 2, start 0.5: f = 0.5, 0.75
        WarmupSchedule s = new WarmupSchedule(new CosineSchedule(ScheduleType.ITERATION, 0.1, 0, 4), 2, 0.5, false);
        assertEquals(0.05, s.valueAt(0, 0), EXACT);
        assertEquals(0.75 * 0.05 * (1 + COS_QUARTER), s.valueAt(1, 0), EXACT);
        assertEquals(0.05, s.valueAt(2, 0), EXACT);
        assertEquals(0.05 * (1 - COS_QUARTER), s.valueAt(3, 0), EXACT);
        assertEquals(0.0, s.valueAt(4, 0), EXACT);
    }

    @Test
    void warmupRestartingTheBaseRunsItAfterTheWarmup() {
        WarmupSchedule s = new WarmupSchedule(new CosineSchedule(ScheduleType.ITERATION, 0.1, 0, 4), 2, 0.5, true);
        assertEquals(0.05, s.valueAt(0, 0), EXACT);
        assertEquals(0.075, s.valueAt(1, 0), EXACT);
        assertEquals(0.1, s.valueAt(2, 0), EXACT);
        assertEquals(0.05 * (1 + COS_QUARTER), s.valueAt(3, 0), EXACT);
        assertEquals(0.05, s.valueAt(4, 0), EXACT);
        assertEquals(0.0, s.valueAt(6, 0), EXACT);
    }

    @Test
    void factoryKinds() {
        ISchedule fixed = LearningRates.of("fixed", 0.1, null, 0, 0, 0);
        assertInstanceOf(FixedSchedule.class, fixed);
        assertEquals(0.1, fixed.valueAt(1234, 56), EXACT);

        ISchedule step = LearningRates.of("step", 0.1, ScheduleType.EPOCH, 3, 0.5, 0);
        assertInstanceOf(StepSchedule.class, step);
        assertEquals(0.1, step.valueAt(500, 0), EXACT);
        assertEquals(0.1, step.valueAt(500, 2), EXACT);
        assertEquals(0.05, step.valueAt(0, 3), EXACT);
        assertEquals(0.05, step.valueAt(0, 5), EXACT);
        assertEquals(0.025, step.valueAt(0, 6), EXACT);

        ISchedule exponential = LearningRates.of("Exponential", 0.1, ScheduleType.ITERATION, 0, 0.9, 0);
        assertInstanceOf(ExponentialSchedule.class, exponential);
        assertEquals(0.1, exponential.valueAt(0, 0), EXACT);
        assertEquals(0.081, exponential.valueAt(2, 5), EXACT);

        ISchedule cosine = LearningRates.of("cosine", 0.1, ScheduleType.ITERATION, 4, 0, 0.0);
        assertEquals(new CosineSchedule(ScheduleType.ITERATION, 0.1, 0.0, 4), cosine);
        assertEquals(0.05, cosine.valueAt(2, 0), EXACT);
    }

    @Test
    void factoryWarmupWrapsAnyKind() {
        ISchedule s = LearningRates.of("step", 0.1, ScheduleType.EPOCH, 3, 0.5, 0, 4, 0.25);
        assertEquals(new WarmupSchedule(new StepSchedule(ScheduleType.EPOCH, 0.1, 0.5, 3), 4, 0.25, false), s);
        assertEquals(0.04375, s.valueAt(1, 0), EXACT);
        assertEquals(0.1, s.valueAt(4, 0), EXACT);
        assertEquals(0.05, s.valueAt(10, 3), EXACT);
        ISchedule fixed = LearningRates.of("fixed", 0.2, null, 0, 0, 0, 2, 0.0);
        assertEquals(0.0, fixed.valueAt(0, 0), EXACT);
        assertEquals(0.1, fixed.valueAt(1, 0), EXACT);
        assertEquals(0.2, fixed.valueAt(2, 0), EXACT);
    }

    @Test
    void linearScalingRule() {
        assertEquals(0.4, LearningRates.linearScaling(0.1, 256, 1024), EXACT);
        assertEquals(0.025, LearningRates.linearScaling(0.1, 256, 64), EXACT);
        assertEquals(0.1, LearningRates.linearScaling(0.1, 256, 256), EXACT);
        assertThrows(IllegalArgumentException.class, () -> LearningRates.linearScaling(0.1, 0, 256));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.linearScaling(0.1, 256, -1));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.linearScaling(-0.1, 256, 256));
    }

    @Test
    void rejectsUnknownKindsAndBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LearningRates.of("linear", 0.1, ScheduleType.EPOCH, 1, 1, 0));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("cosine"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LearningRates.of("step", 0.1, ScheduleType.EPOCH, 0, 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.of("step", 0.1, null, 3, 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.of("cosine", 0.1, ScheduleType.EPOCH, 5, 0, 0.2));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.of("fixed", 0, null, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.of("fixed", 0.1, null, 0, 0, 0, -1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LearningRates.of("fixed", 0.1, null, 0, 0, 0, 3, 1.5));
    }

    @Test
    void schedulesRoundTripThroughDl4jJson() {
        List<ISchedule> schedules = List.of(
                new CosineSchedule(ScheduleType.EPOCH, 0.1, 0.001, 30),
                new WarmupSchedule(new CosineSchedule(ScheduleType.ITERATION, 0.1, 0, 1000), 50, 0.1, true),
                LearningRates.of("step", 0.1, ScheduleType.EPOCH, 3, 0.5, 0, 4, 0.25),
                LearningRates.of("exponential", 0.1, ScheduleType.ITERATION, 0, 0.99, 0, 10, 0.0),
                LearningRates.of("fixed", 0.1, null, 0, 0, 0, 10, 0.5));
        for (ISchedule s : schedules) {
            MultiLayerConfiguration conf = MomentumTest.linearConfig(new Sgd(s));
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back, s.toString());
            ISchedule read = ((Sgd) ((OutputLayer) back.getConf(0).getLayer()).getIUpdater()).getLearningRateSchedule();
            assertEquals(s, read);
            for (int i = 0; i < 60; i += 7) {
                assertEquals(s.valueAt(i, i / 10), read.valueAt(i, i / 10), 0.0);
            }
            MultiLayerNetwork net = new MultiLayerNetwork(back);
            net.init();
            DataSet one = new DataSet(Nd4j.createFromArray(new float[][]{{1, 2}}), Nd4j.createFromArray(new float[][]{{3}}));
            // two steps: a warm-up starting at factor 0 takes no step at iteration 0
            net.fit(one);
            net.fit(one);
            assertTrue(net.getParam("0_W").sumNumber().doubleValue() > 0, "trained under " + s);
        }
    }

    @Test
    void dl4jRampScheduleDoesNotReadBackFromJsonWhichIsWhyWarmupScheduleExists() {
        MultiLayerConfiguration conf = MomentumTest.linearConfig(new Sgd(new RampSchedule(new FixedSchedule(0.1), 4)));
        String json = conf.toJson();
        RuntimeException e = assertThrows(RuntimeException.class, () -> MultiLayerConfiguration.fromJson(json));
        assertTrue(e.getMessage().contains("RampSchedule") && e.getMessage().contains("no Creators"), e.getMessage());
    }
}
