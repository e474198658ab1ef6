package io.averon.jobs.bench;

import io.averon.jobs.data.FashionMnist;
import io.averon.jobs.models.ModelShape;
import io.averon.jobs.models.ModelZoo;
import io.averon.jobs.models.NetworkOptions;
import io.averon.worker.EpochPlan;
import io.averon.worker.Examples;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Trains one zoo network on Fashion-MNIST in a plain single-JVM DL4J {@code fit} loop and prints the test accuracy
 * after every epoch: the evidence that a small variant reaches its accuracy, without Spark or the parameter server.
 * Usage: {@code ZooFit <model> <width-multiplier> <epochs> <batch-size> [learning-rate] [train-examples]}.
 */
public final class ZooFit {
    private ZooFit() {
    }

    public static void main(String[] args) throws Exception {
        String model = args[0];
        double width = Double.parseDouble(args[1]);
        int epochs = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        double lr = args.length > 4 ? Double.parseDouble(args[4]) : 1e-3;
        FashionMnist data = FashionMnist.locate(FashionMnist.DEFAULT_DIRECTORY);
        Examples train = data.train().load();
        if (args.length > 5) {
            train = train.head(Integer.parseInt(args[5]));
        }
        Examples test = data.test().load();
        ModelShape shape = new ModelShape(1, FashionMnist.SIDE, FashionMnist.SIDE, FashionMnist.CLASSES);
        ComputationGraphConfiguration conf = ModelZoo.build(model, shape,
                NetworkOptions.defaults().withWidthMultiplier(width).withUpdater(new Adam(lr)));
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        System.out.printf("%s width %.3f: %,d parameters%n", model, width, graph.numParams());
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = new EpochPlan(42, epoch, 1, train.size()).partition(0);
            long t0 = System.nanoTime();
            for (int from = 0; from < order.length; from += batch) {
                DataSet b = image(train.batch(order, from, Math.min(order.length, from + batch)), shape);
                graph.fit(ModelZoo.trainingBatch(conf, b));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Evaluation evaluation = new Evaluation(FashionMnist.CLASSES);
            int[] all = new int[test.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            for (int from = 0; from < all.length; from += 500) {
                DataSet b = image(test.batch(all, from, Math.min(all.length, from + 500)), shape);
                INDArray predicted = graph.output(false, b.getFeatures())[0];
                evaluation.eval(b.getLabels(), predicted);
            }
            System.out.printf("%s epoch %d/%d: %d images in %.0f s (%.0f img/s), last loss %.4f, test accuracy %.4f%n",
                    model, epoch + 1, epochs, order.length, seconds, order.length / seconds, graph.score(),
                    evaluation.accuracy());
        }
    }

    /** The worker's flat [n, c*h*w] features as the zoo's 4D NCHW batches. */
    private static DataSet image(DataSet flat, ModelShape shape) {
        INDArray f = flat.getFeatures();
        return new DataSet(f.reshape('c', f.size(0), shape.channels(), shape.height(), shape.width()),
                flat.getLabels());
    }

}
