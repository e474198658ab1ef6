package io.averon.jobs.data;

import static io.averon.jobs.data.ImageFixture.assertProblem;
import static io.averon.jobs.data.ImageFixture.labelled;
import static io.averon.jobs.data.ImageFixture.segmented;
import static io.averon.jobs.data.PreparedSourceTest.assertExactly;
import static io.averon.jobs.data.PreparedSourceTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.averon.driver.HadoopSettings;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prepared shards and CIFAR files on a real (in-process) HDFS through hdfs:// URIs: HDFS refuses to rename over an
 * existing file and serves positional reads differently from the local file system, so both paths are run here.
 */
class PreparedHdfsTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    @TempDir
    static java.nio.file.Path storage;

    private static MiniDFSCluster cluster;
    private static String root;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, storage.toString());
        conf.setInt("dfs.replication", 1);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    @Test
    void rgbShardsWrittenAndReadOnHdfs() throws Exception {
        DataShape shape = new DataShape(3, 8, 8, DataShape.numbered(5), false);
        String dirUri = root + "/prepared/rgb";
        Path dir = new Path(dirUri);
        FileSystem fs = dir.getFileSystem(new Configuration());
        List<LabelledImage> first = labelled(21, 30, 3, 8, 8, 5);
        List<LabelledImage> second = labelled(22, 20, 3, 8, 8, 5);
        PreparedShard s0 = write(fs, dir, 0, shape, first);
        // A second attempt of shard 1 replaces the first one's file: HDFS will not rename over it by itself.
        write(fs, dir, 1, shape, labelled(99, 20, 3, 8, 8, 5));
        PreparedShard s1 = write(fs, dir, 1, shape, second);
        PreparedManifest manifest = PreparedManifest.commit(fs, dir, shape, "hdfs:///raw", List.of(s0, s1));
        // Committing twice (a re-run of the final step) replaces the labels and manifest.
        assertEquals(manifest, PreparedManifest.commit(fs, dir, shape, "hdfs:///raw", List.of(s0, s1)));

        List<String> names = new ArrayList<>();
        for (FileStatus status : fs.listStatus(dir)) {
            names.add(status.getPath().getName());
        }
        names.sort(null);
        assertEquals(List.of("labels.bin", "manifest.json", "shard-00000.bin", "shard-00001.bin"), names);

        List<LabelledImage> all = new ArrayList<>(first);
        all.addAll(second);
        SourceIndex index = new PreparedSource(dirUri, HADOOP).index();
        assertEquals(dirUri + "/shard-00001.bin#4", index.describe(34));
        assertExactly(all, index);
        assertExactly(all, new PreparedSource(dirUri, 0, HADOOP).index()); // positional reads on HDFS
    }

    @Test
    void segmentationShardsOnHdfs() throws Exception {
        DataShape shape = new DataShape(1, 6, 4, List.of("background", "object"), true);
        String dirUri = root + "/prepared/seg";
        Path dir = new Path(dirUri);
        FileSystem fs = dir.getFileSystem(new Configuration());
        List<LabelledImage> first = segmented(23, 5, 1, 6, 4, 2);
        List<LabelledImage> second = segmented(24, 6, 1, 6, 4, 2);
        PreparedManifest.commit(fs, dir, shape, "voc",
                List.of(write(fs, dir, 0, shape, first), write(fs, dir, 1, shape, second)));
        List<LabelledImage> all = new ArrayList<>(first);
        all.addAll(second);
        assertExactly(all, new PreparedSource(dirUri, HADOOP).index());
    }

    @Test
    void truncatedShardAndMissingManifestOnHdfs() throws Exception {
        DataShape shape = new DataShape(1, 4, 4, DataShape.numbered(2), false);
        String dirUri = root + "/prepared/cut";
        Path dir = new Path(dirUri);
        FileSystem fs = dir.getFileSystem(new Configuration());
        PreparedManifest.commit(fs, dir, shape, "src", List.of(write(fs, dir, 0, shape, labelled(25, 4, 1, 4, 4, 2))));
        Path shard = new Path(dir, "shard-00000.bin");
        byte[] bytes = new byte[4 * 20];
        try (FSDataInputStream in = fs.open(shard)) {
            in.readFully(bytes);
        }
        try (OutputStream out = fs.create(shard, true)) {
            out.write(bytes, 0, 70);
        }
        assertProblem(dirUri + "/shard-00000.bin: truncated: manifest.json says 4 records of 20 bytes (80 bytes) but"
                + " the file has 70 bytes", () -> new PreparedSource(dirUri, HADOOP).index());

        fs.delete(new Path(dir, "manifest.json"), false);
        assertProblem(dirUri + "/manifest.json: not found; " + dirUri + " is not a finished `averon prepare` output"
                + " (the manifest is written last)", () -> new PreparedSource(dirUri, HADOOP).index());
    }

    @Test
    void cifar10BatchesOnHdfs() throws Exception {
        FileSystem fs = cluster.getFileSystem();
        List<LabelledImage> all = new ArrayList<>();
        for (int b = 1; b <= 5; b++) {
            List<LabelledImage> batch = labelled(30 + b, 3 + b, 3, 32, 32, 10);
            try (OutputStream out = fs.create(new Path("/cifar/data_batch_" + b + ".bin"))) {
                CifarWriter.write(out, CifarVariant.CIFAR10, batch);
            }
            all.addAll(batch);
        }
        SourceIndex index = CifarExampleSource.cifar10Train(root + "/cifar", HADOOP).index();
        assertExactly(all, index);
        assertEquals(root + "/cifar/data_batch_2.bin#1", index.describe(5));
        assertProblem(root + "/cifar/test_batch.bin: file not found",
                () -> CifarExampleSource.cifar10Test(root + "/cifar", HADOOP).index());
    }
}
