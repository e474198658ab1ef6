package io.averon.driver.checkpoint;

import io.averon.worker.FaultMatrixFigures;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The background writer against a real HDFS whose NameNode goes away while training goes on: writes fail and are
 * retried without blocking the caller, the NameNode comes back and a later checkpoint commits, no damaged checkpoint
 * is ever the newest valid one, and a storage outage longer than the window fails the run naming the error.
 */
@Timeout(180)
class BackgroundCheckpointsTest {
    @TempDir
    static File base;

    private static MiniDFSCluster cluster;
    private static Configuration conf;
    private static String uri;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration c = new Configuration();
        c.setInt("dfs.replication", 1);
        c.set("dfs.namenode.rpc-address", "127.0.0.1:0");
        cluster = new MiniDFSCluster.Builder(c, new File(base, "hdfs")).numDataNodes(1).build();
        cluster.waitActive();
        conf = new Configuration(cluster.getConfiguration(0));
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 20);
        // Fail fast while the NameNode is down, as the writer's own retries are what is under test.
        conf.setInt("ipc.client.connect.max.retries", 0);
        conf.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
        conf.setInt("ipc.client.connect.timeout", 500);
        conf.setBoolean("dfs.client.retry.policy.enabled", false);
        conf.setBoolean("fs.hdfs.impl.disable.cache", true);
        uri = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    private static BackgroundCheckpoints.Snapshot snapshot(long step, float value) {
        return new BackgroundCheckpoints.Snapshot(new CheckpointState(1, step, step, 7, 2, "fp", "job {}"),
                new float[] { value, value + 1, value + 2 }, new float[] { -value });
    }

    @Test
    void writesInTheBackgroundAndTheNewestSnapshotWins() throws Exception {
        CheckpointStore store = new CheckpointStore(uri + "/newest", 3, conf);
        try (BackgroundCheckpoints writer = new BackgroundCheckpoints(store, TimeUnit.MINUTES.toNanos(1), null)) {
            for (int step = 1; step <= 20; step++) {
                writer.submit(snapshot(step, step)); // never waits for storage
            }
            assertNotNull(writer.awaitCommitted(20, 60, TimeUnit.SECONDS));
            writer.flush();
        }
        Checkpoint newest = store.requireNewestValid();
        assertEquals(20, newest.state().step());
        assertArrayEquals(new float[] { 20, 21, 22 }, newest.parameters());
        assertTrue(store.list().size() <= 3, store.list().toString());
    }

    @Test
    void aNameNodeOutageIsRetriedWhileTrainingGoesOnAndALaterCheckpointCommits() throws Exception {
        CheckpointStore store = new CheckpointStore(uri + "/outage", 3, conf);
        try (BackgroundCheckpoints writer = new BackgroundCheckpoints(store, TimeUnit.MINUTES.toNanos(5), null)) {
            writer.submit(snapshot(10, 10));
            String first = writer.awaitCommitted(10, 60, TimeUnit.SECONDS);
            assertNotNull(first);

            cluster.shutdownNameNode(0);
            long before = System.nanoTime();
            writer.submit(snapshot(20, 20));
            writer.submit(snapshot(30, 30));
            assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(1), "submit waited for storage");
            assertNull(writer.awaitCommitted(30, 3, TimeUnit.SECONDS), "committed with the NameNode down");
            writer.checkHealth(); // within the window: training goes on
            assertEquals(first, writer.lastCommitted());

            cluster.restartNameNode(0, true);
            long back = System.nanoTime();
            String later = writer.awaitCommitted(30, 120, TimeUnit.SECONDS);
            assertNotNull(later, "no checkpoint after the NameNode came back");
            assertTrue(later.endsWith(CheckpointLayout.committedName(30)), later);
            long committed = System.nanoTime();
            Checkpoint newest = store.requireNewestValid();
            assertEquals(30, newest.state().step());
            assertArrayEquals(new float[] { 30, 31, 32 }, newest.parameters());
            FaultMatrixFigures.record("namenode-outage", "NameNode down %.1f s while checkpoints of steps 20 and 30 "
                    + "were submitted (each submit returned at once); step 30 committed %.1f s after the NameNode was "
                    + "back; the newest valid checkpoint was always a complete one", (back - before) / 1e9,
                    (committed - back) / 1e9);
        }
    }

    @Test
    void storageFailingForLongerThanTheWindowFailsTheRunNamingTheError() throws Exception {
        CheckpointStore store = new CheckpointStore(uri + "/window", 3, conf);
        try (BackgroundCheckpoints writer = new BackgroundCheckpoints(store, TimeUnit.SECONDS.toNanos(2), null)) {
            writer.submit(snapshot(5, 5));
            String committed = writer.awaitCommitted(5, 60, TimeUnit.SECONDS);
            cluster.shutdownNameNode(0);
            long down = System.nanoTime();
            try {
                writer.submit(snapshot(6, 6));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                CheckpointStorageException failed = null;
                while (failed == null && System.nanoTime() < deadline) {
                    try {
                        writer.checkHealth();
                        Thread.sleep(200);
                    } catch (CheckpointStorageException e) {
                        failed = e;
                    }
                }
                assertNotNull(failed, "storage down past the window, and the run was not stopped");
                assertTrue(failed.getMessage().contains("no checkpoint could be written to " + uri + "/window"),
                        failed.getMessage());
                assertTrue(failed.getMessage().contains("checkpoint.max-failure-window"), failed.getMessage());
                assertTrue(failed.getMessage().contains("resume later from " + committed), failed.getMessage());
                assertThrows(CheckpointStorageException.class, writer::flush);
                FaultMatrixFigures.record("storage-window", "window 2 s in the test: the run was stopped %.1f s after "
                        + "the NameNode went down, naming the storage, its error and the checkpoint to resume from",
                        (System.nanoTime() - down) / 1e9);
            } finally {
                cluster.restartNameNode(0, true);
            }
        }
        FileSystem.newInstance(URI.create(uri), conf).close();
    }
}
