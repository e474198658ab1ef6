package io.averon.dl4j.spark;

import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The master's settings survive JSON and YAML; what it does not do is refused with a message naming it. */
class AveronTrainingMasterTest {

    @Test
    void jsonAndYamlRoundTrip() {
        AveronTrainingMaster master = new AveronTrainingMaster.Builder(32).workers(4)
                .storageLevel(StorageLevel.MEMORY_ONLY_SER()).set("ps.port", "41000-41009")
                .set("ps.step-deadline", "60s").checkpoints("hdfs://nn:8020/ckpt/run-1")
                .set("checkpoint.every-steps", "200").build();
        for (AveronTrainingMaster copy : List.of(AveronTrainingMaster.fromJson(master.toJson()),
                AveronTrainingMaster.fromYaml(master.toYaml()))) {
            assertEquals(master.toString(), copy.toString());
            assertEquals(32, copy.batchSizePerWorker());
            assertEquals(4, copy.workers());
        }
        assertTrue(master.toJson().contains("41000-41009"), master.toJson());
        assertTrue(master.toJson().contains("hdfs://nn:8020/ckpt/run-1"), master.toJson());
    }

    @Test
    void unsupportedCombinationsAreRefusedByName() {
        AveronTrainingMaster master = new AveronTrainingMaster.Builder(16).build();
        assertMessage("TrainingHook", assertThrows(UnsupportedOperationException.class, () -> master.addHook(null)));
        assertMessage("training stats",
                assertThrows(UnsupportedOperationException.class, () -> master.setCollectTrainingStats(true)));
        master.setCollectTrainingStats(false);
        assertFalse(master.getIsCollectTrainingStats());
        assertNull(master.getTrainingStats());
        assertMessage("StatsStorageRouter", assertThrows(UnsupportedOperationException.class,
                () -> master.setListeners(new org.deeplearning4j.core.storage.StatsStorageRouter() {
                    @Override
                    public void putStorageMetaData(org.deeplearning4j.core.storage.StorageMetaData m) {
                    }

                    @Override
                    public void putStorageMetaData(
                            java.util.Collection<? extends org.deeplearning4j.core.storage.StorageMetaData> m) {
                    }

                    @Override
                    public void putStaticInfo(org.deeplearning4j.core.storage.Persistable p) {
                    }

                    @Override
                    public void putStaticInfo(
                            java.util.Collection<? extends org.deeplearning4j.core.storage.Persistable> p) {
                    }

                    @Override
                    public void putUpdate(org.deeplearning4j.core.storage.Persistable p) {
                    }

                    @Override
                    public void putUpdate(
                            java.util.Collection<? extends org.deeplearning4j.core.storage.Persistable> p) {
                    }
                }, List.of())));
        assertMessage("TrainingWorker",
                assertThrows(UnsupportedOperationException.class, () -> master.getWorkerInstance(
                        (org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer) null)));
        assertMessage("not train.epochs", assertThrows(IllegalArgumentException.class,
                () -> new AveronTrainingMaster.Builder(16).set("train.epochs", "3")));
        assertMessage("must be persisted", assertThrows(IllegalArgumentException.class,
                () -> new AveronTrainingMaster.Builder(16).storageLevel(StorageLevel.NONE())));
        assertMessage("ps.step-deadline", assertThrows(RuntimeException.class,
                () -> new AveronTrainingMaster.Builder(16).set("ps.step-deadline", "soon").build()));
        assertMessage("checkpoint.every-steps", assertThrows(RuntimeException.class,
                () -> new AveronTrainingMaster.Builder(16).set("checkpoint.every-steps", "-1").build()));
        assertMessage("directory", assertThrows(IllegalArgumentException.class,
                () -> new AveronTrainingMaster.Builder(16).checkpoints(" ")));
        assertMessage("checkpoint.dir", assertThrows(IllegalStateException.class,
                () -> master.resume((org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer) null)));
    }

    private static void assertMessage(String expected, Throwable thrown) {
        assertTrue(thrown.getMessage().contains(expected), "message names " + expected + ": " + thrown.getMessage());
    }
}
