package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.jobs.models.FineTuning;
import io.averon.worker.InputException;
import io.averon.worker.ModelDefinition;
import io.averon.worker.Network;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.File;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keras HDF5 models through DL4J's importer as a starting point for transfer learning. The fixtures are written by
 * {@code src/test/resources/keras/tiny_cnn.py} in the layout Keras's {@code model.save} produces, with weights
 * 0.3 sin(0.37 i^2 + k) (conv1) and 0.05 sin(0.37 i^2 + k) (dense layers) over each array's Keras-order elements i
 * (array k = 1, 2, ... in layer order): conv 8@3x3
 * (relu), 2x2 max-pool, flatten, dense 32 (relu), dense 10 (softmax), on 28x28x1 input.
 */
class KerasModelsTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    private static final File CHANNELS_LAST = new File("src/test/resources/keras/tiny_cnn.h5");
    private static final File FUNCTIONAL = new File("src/test/resources/keras/tiny_cnn_functional.h5");

    @TempDir
    java.nio.file.Path tmp;

    @Test
    void importsWeightsInDl4jLayoutAndTrainsOnChannelsFirstBatches() throws Exception {
        Network net = SavedModels.read(CHANNELS_LAST.getAbsolutePath(), "model.init-from", HADOOP);
        // conv 8*9 + 8, dense 1352*32 + 32, dense 32*10 + 10
        assertEquals(80 + 43_296 + 330, net.parameters().length());
        // Keras kernel [kh, kw, in, out] element i = 0.3 sin(0.37 i^2 + 1); DL4J holds it as [out, in, kh, kw].
        INDArray w = net.layers()[0].getParam("W");
        assertArrayEquals(new long[] {8, 1, 3, 3}, w.shape());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
                for (int o = 0; o < 8; o++) {
                    int i = ((y * 3 + x) * 1) * 8 + o;
                    assertEquals(0.3 * Math.sin(0.37 * ((double) i * i) + 1), w.getDouble(o, 0, y, x), 1e-6,
                            "conv1 W" + o + y + x);
                }
            }
        }
        // The last dense layer (its kernel is array k = 5) becomes the output layer with its weights: [in, out] in both.
        INDArray head = net.layers()[3].getParam("W");
        assertEquals(0.05 * Math.sin(0.37 * (57.0 * 57) + 5), head.getDouble(5, 7), 1e-6);

        // Averon feeds [n, c, h, w]; the channels-last net must compute what it computes on the permuted batch.
        INDArray nchw = Nd4j.rand(new int[] {3, 1, 28, 28});
        INDArray out = net.output(nchw);
        assertArrayEquals(new long[] {3, 10}, out.shape());
        MultiLayerNetwork asImported = KerasModelImport.importKerasSequentialModelAndWeights(
                CHANNELS_LAST.getAbsolutePath(), false);
        INDArray expected = asImported.output(nchw.permute(0, 2, 3, 1).dup());
        assertEquals(0, expected.sub(out).amaxNumber().doubleValue(), 1e-6,
                "the imported net on the channels-last batch computes what Averon's net computes on channels-first");

        // It trains: one fit on a batch lowers the loss on that batch.
        DataSet batch = new DataSet(nchw, Nd4j.eye(10).getRows(0, 1, 2));
        ModelDefinition definition = net.definition();
        Network copy = definition.instantiate();
        copy.parameters().assign(net.parameters());
        double before = copy.computeGradient(batch.getFeatures(), batch.getLabels());
        for (int i = 0; i < 5; i++) {
            copy.fit(batch);
        }
        double after = copy.computeGradient(batch.getFeatures(), batch.getLabels());
        assertTrue(after < before, "loss " + before + " -> " + after);
    }

    @Test
    void importsAFunctionalModelAsAGraph() throws Exception {
        Network graph = SavedModels.read(FUNCTIONAL.getAbsolutePath(), "model.init-from", HADOOP);
        Network stack = SavedModels.read(CHANNELS_LAST.getAbsolutePath(), "model.init-from", HADOOP);
        assertTrue(graph.isGraph());
        assertEquals(stack.parameters(), graph.parameters(), "same weights, same order");
        INDArray nchw = Nd4j.rand(new int[] {2, 1, 28, 28});
        assertEquals(0, stack.output(nchw).sub(graph.output(nchw)).amaxNumber().doubleValue(), 1e-6);
        Network tuned = FineTuning.adapt(graph, 1, 3, new Adam(1e-3), 7);
        tuned.fit(new DataSet(nchw, Nd4j.eye(3).getRows(0, 1)));
        assertArrayEquals(new long[] {2, 3}, tuned.output(nchw).shape());
    }

    @Test
    void fineTunesFromHdfsWithFrozenConvolutionAndANewHead() throws Exception {
        File base = tmp.resolve("hdfs").toFile();
        org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            FileSystem fs = cluster.getFileSystem();
            fs.copyFromLocalFile(new Path(CHANNELS_LAST.getAbsolutePath()), new Path("/models/tiny.h5"));
            String uri = fs.getUri() + "/models/tiny.h5";
            Network pretrained = SavedModels.read(uri, "model.init-from", HADOOP);
            Network tuned = FineTuning.adapt(pretrained, 1, 5, new Adam(1e-3), 7);
            INDArray frozen = tuned.layers()[0].params().dup();
            DataSet batch = new DataSet(Nd4j.rand(new int[] {4, 1, 28, 28}), Nd4j.eye(5).getRows(0, 1, 2, 3));
            for (int i = 0; i < 3; i++) {
                tuned.fit(batch);
            }
            assertArrayEquals(new long[] {4, 5}, tuned.output(batch.getFeatures()).shape(), "new 5-class head");
            assertEquals(frozen, tuned.layers()[0].params(), "frozen convolution unchanged");
            assertFalse(pretrained.layers()[2].params().equals(tuned.layers()[2].params()), "dense layer tuned");
        } finally {
            cluster.shutdown();
        }
    }

    @Test
    void aFileThatIsNotHdf5IsAUserError() throws Exception {
        File bogus = tmp.resolve("model.h5").toFile();
        Files.writeString(bogus.toPath(), "not an hdf5 file");
        InputException e = assertThrows(InputException.class,
                () -> SavedModels.read(bogus.getAbsolutePath(), "model.init-from", HADOOP));
        assertTrue(e.getMessage().startsWith("model.init-from " + bogus.getAbsolutePath()), e.getMessage());
    }
}
