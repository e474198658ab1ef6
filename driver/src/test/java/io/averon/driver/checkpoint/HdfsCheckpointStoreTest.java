package io.averon.driver.checkpoint;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store on a real HDFS: one single-datanode MiniDFSCluster shared by every test of this class. */
class HdfsCheckpointStoreTest extends CheckpointStoreContract {
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
        // A client closing a file polls the namenode until the datanode has reported the block, first after 400 ms;
        // with five files per checkpoint that wait, not the I/O, would dominate this test's run time.
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 20);
        uri = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    }

    @AfterAll
    static void stopHdfs() throws IOException {
        if (cluster != null) {
            // Drop the cached client too, so no later test in this JVM talks to a dead namenode.
            FileSystem.get(URI.create(uri), conf).close();
            cluster.shutdown();
        }
    }

    @Override
    String baseUri() {
        return uri + "/checkpoints";
    }

    @Override
    Configuration conf() {
        return conf;
    }

    @Test
    void checkpointsLiveOnHdfsWithQualifiedLocations() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 2, conf);
        float[] parameters = floats(1_000_000, 3);
        String location = store.write(state(42), parameters, floats(2_000_000, 4));

        assertTrue(store.directory().startsWith(uri + "/checkpoints/run-"), store.directory());
        assertTrue(location.startsWith(uri), location);
        Checkpoint loaded = store.loadNewestValid().orElseThrow();
        assertSameBits(parameters, loaded.parameters());
        assertEquals(state(42), loaded.state());
    }
}
