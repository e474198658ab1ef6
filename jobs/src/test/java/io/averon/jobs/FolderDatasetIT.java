package io.averon.jobs;

import io.averon.jobs.data.ImageTrees;
import io.averon.worker.Examples;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Trains from a class-per-folder tree of PNG and JPEG files on a real HDFS (MiniDFSCluster), as users keep their
 * images: real Fashion-MNIST images rendered to files, plus the broken files every collection has. Checks the planning
 * counts, that bad images are skipped and counted (and fail the run under the fail policy), and that the network
 * learns from the decoded files.
 */
class FolderDatasetIT {
    private static final int TRAIN = 800;
    private static final int TEST = 200;
    private static final long MAX_PIXELS = 1_000_000;

    @TempDir
    static Path tmp;

    private static MiniDFSCluster cluster;
    private static String root;
    private static int brokenAtDecode;

    @BeforeAll
    static void startHdfsWithImageTree() throws IOException {
        Examples fashion = ImageTrees.fashionMnist();
        Path local = tmp.resolve("fashion-tree");
        ImageTrees.writeClassTree(fashion, 0, TRAIN, local.resolve("train"));
        ImageTrees.writeClassTree(fashion, TRAIN, TEST, local.resolve("test"));
        brokenAtDecode = ImageTrees.addBrokenFiles(fashion, local.resolve("train/class-3"), MAX_PIXELS);

        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("hdfs").toString());
        conf.setInt("dfs.replication", 1);
        // Closing a file polls the namenode from 400 ms by default: a tree of ~1,000 small files would take minutes.
        conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 5);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        FileSystem fs = cluster.getFileSystem();
        fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(local.toString()), new org.apache.hadoop.fs.Path("/data/fashion-tree"));
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    @Test
    void trainsFromAnImageTreeOnHdfsSkippingBadFiles() {
        Invocation run = Invocation.of(args(tmp.resolve("run-skip"), "skip"));
        assertEquals(0, run.status(), run.err());
        String out = run.out();
        assertTrue(out.contains("training set " + root + "/data/fashion-tree/train: " + (TRAIN + brokenAtDecode)
                + " examples, 1x28x28, 10 classes, 1 file(s) skipped while planning"), out);
        assertTrue(out.contains("test set " + root + "/data/fashion-tree/test: " + TEST + " examples"), out);
        assertTrue(out.contains("per class: class-0="), out);

        Matcher epochs = Pattern.compile("epoch (\\d)/2: .*test accuracy ([0-9.]+).*bad images (\\d+)").matcher(out);
        List<Double> accuracy = new ArrayList<>();
        while (epochs.find()) {
            assertEquals(brokenAtDecode, Integer.parseInt(epochs.group(3)), "bad images of epoch " + epochs.group(1));
            accuracy.add(Double.parseDouble(epochs.group(2)));
        }
        assertEquals(2, accuracy.size(), out);
        // 800 decoded 28x28 images, 2 epochs of LeNet: well above chance (0.1).
        assertTrue(accuracy.get(1) >= 0.6, "accuracy after 2 epochs: " + accuracy);
        assertTrue(out.contains("truncated.jpg") || out.contains("notes.jpg") || out.contains("huge.png"),
                "names a skipped file: " + out);
    }

    @Test
    void failPolicyStopsAtTheFirstBadImageWithItsPath() {
        Invocation run = Invocation.of(args(tmp.resolve("run-fail"), "fail"));
        assertEquals(2, run.status(), run.out());
        assertTrue(run.err().startsWith("averon: error: bad image " + root + "/data/fashion-tree/train/class-3/"),
                run.err());
        assertTrue(run.err().contains("empty.png: empty file (0 bytes)"), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line, no stack trace: " + run.err());
    }

    @Test
    void preparesShardsOnHdfsAndTrainsFromThem() throws IOException {
        String prepared = root + "/prepared/fashion";
        Invocation prepare = Invocation.of(prepareArgs(prepared));
        assertEquals(0, prepare.status(), prepare.err());
        assertTrue(prepare.out().contains("training set: " + TRAIN + " images from " + root
                + "/data/fashion-tree/train into 1 shard(s)"), prepare.out());
        assertTrue(prepare.out().contains("skipped " + (brokenAtDecode + 1) + " bad image(s)"), prepare.out());
        assertTrue(prepare.out().contains("test set: " + TEST + " images"), prepare.out());
        FileSystem fs = cluster.getFileSystem();
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/prepared/fashion/train/manifest.json")));
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/prepared/fashion/test/shard-00000.bin")));

        Invocation again = Invocation.of(prepareArgs(prepared));
        assertEquals(2, again.status());
        assertTrue(again.err().contains("already holds a prepared dataset"), again.err());

        Invocation run = Invocation.of("train", "fashion-mnist-lenet", "--master", "local[2]", "--workers", "2",
                "--run-dir", tmp.resolve("run-prepared").toString(),
                "--set", "dataset.format=prepared", "--set", "dataset.dir=" + prepared,
                "--set", "dataset.class-names=[]", "--set", "train.epochs=2", "--set", "train.batch-size=32");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("training set " + prepared + "/train: " + TRAIN + " examples, 1x28x28"),
                run.out());
        Matcher last = Pattern.compile("epoch 2/2: .*test accuracy ([0-9.]+).*bad images 0").matcher(run.out());
        assertTrue(last.find(), run.out());
        // The shards hold the same decoded images, normalised with the manifest's mean and std.
        assertTrue(Double.parseDouble(last.group(1)) >= 0.6, run.out());
    }

    private static String[] prepareArgs(String output) {
        return new String[] {"prepare", "fashion-mnist-lenet", output, "--master", "local[2]",
            "--set", "dataset.format=folder",
            "--set", "dataset.dir=" + root + "/data/fashion-tree",
            "--set", "dataset.test-dir=test",
            "--set", "dataset.class-names=[]",
            "--set", "dataset.channels=1", "--set", "dataset.height=28", "--set", "dataset.width=28",
            "--set", "dataset.max-pixels=" + MAX_PIXELS};
    }

    private static String[] args(Path runDir, String policy) {
        return new String[] {"train", "fashion-mnist-lenet", "--master", "local[2]", "--workers", "2",
            "--run-dir", runDir.toString(),
            "--set", "dataset.format=folder",
            "--set", "dataset.dir=" + root + "/data/fashion-tree",
            "--set", "dataset.test-dir=test",
            "--set", "dataset.class-names=[]",
            "--set", "dataset.channels=1", "--set", "dataset.height=28", "--set", "dataset.width=28",
            "--set", "dataset.max-pixels=" + MAX_PIXELS,
            "--set", "dataset.bad-images=" + policy,
            "--set", "train.epochs=2", "--set", "train.batch-size=32"};
    }
}
