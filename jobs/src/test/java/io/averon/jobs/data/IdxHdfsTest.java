package io.averon.jobs.data;

import static io.averon.jobs.data.IdxFixture.gzip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.averon.driver.HadoopSettings;
import io.averon.worker.InputException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads IDX files from a real (in-process) HDFS through hdfs:// URIs, as executors of a cluster would. */
class IdxHdfsTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    @TempDir
    static Path storage;

    private static MiniDFSCluster cluster;
    private static String root;
    private static final IdxFixture FIXTURE = new IdxFixture(64, 28, 28, 10, 11);

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, storage.toString());
        conf.setInt("dfs.replication", 1);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();

        put("/data/images.gz", gzip(FIXTURE.imagesFile()));
        put("/data/labels.gz", gzip(FIXTURE.labelsFile()));
        put("/data/images", FIXTURE.imagesFile());
        put("/data/labels", FIXTURE.labelsFile());
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    @Test
    void readsGzippedAndRawFilesFromHdfs() throws IOException {
        IdxExampleSource gz = new IdxExampleSource(root + "/data/images.gz", root + "/data/labels.gz", 10, HADOOP);
        IdxExampleSource raw = new IdxExampleSource(root + "/data/images", root + "/data/labels", 10, HADOOP);

        FIXTURE.assertMatches(gz.load());
        FIXTURE.assertMatches(raw.load());
        assertEquals(gz.load().size(), gz.size());
        assertEquals(64, raw.size());
    }

    @Test
    void missingHdfsFileIsNamed() {
        String missing = root + "/data/absent.gz";
        IdxExampleSource source = new IdxExampleSource(missing, root + "/data/labels.gz", 10, HADOOP);
        InputException e = assertThrows(InputException.class, source::load);
        assertEquals(missing + ": file not found", e.getMessage());
    }

    @Test
    void locatesFashionMnistInAnHdfsDirectory() throws IOException {
        Path local = storage.resolve("fm");
        IdxFixture data = FashionMnistTest.fakeDataset(local, true);
        for (String name : new String[] {FashionMnist.TRAIN_IMAGES, FashionMnist.TRAIN_LABELS,
                FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS}) {
            put("/fm/" + name + ".gz", java.nio.file.Files.readAllBytes(local.resolve(name + ".gz")));
        }

        FashionMnist found = FashionMnist.locate(root + "/fm", storage.resolve("no-cache").toString(),
                HADOOP);
        assertTrue(found.directory().startsWith(root), found.directory());
        data.assertMatches(found.train().load());
        assertEquals(data.count, found.test().size());
    }

    private static void put(String path, byte[] content) throws IOException {
        FileSystem fs = cluster.getFileSystem();
        try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(path))) {
            out.write(content);
        }
    }
}
