package io.averon.worker.data;

import io.averon.worker.InputException;
import io.averon.worker.augment.AugmentSpec;
import io.averon.worker.augment.Preprocessor;
import io.averon.worker.image.BadImageException;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns a worker's slice of an epoch into minibatches ahead of the training loop: prefetch threads read, decode,
 * augment and assemble whole batches (features NCHW, labels one-hot per image or per pixel) while the network computes
 * on the previous one. Batch boundaries are fixed by the slice and the batch size, never by what decoded, so every
 * worker takes the same number of steps and a retried task resumes at the same batch; a bad image only makes its
 * batch smaller. Each example's augmentation draws from a generator seeded by (seed, epoch, example), so a batch is
 * the same whichever thread builds it.
 */
public final class BatchPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchPipeline.class);
    /** Mask value that marks pixels excluded from loss and metrics (VOC). */
    public static final int IGNORE = 255;

    private final SourceIndex index;
    private final ExampleReader reader;
    private final AugmentSpec spec;
    private final int[] order;
    private final int batchSize;
    private final long seed;
    private final int epoch;
    private final BadImagePolicy policy;
    private final float labelSmoothing;
    private final BadImages bad;
    private final ExecutorService threads;
    private final ThreadLocal<Preprocessor> preprocessors;
    private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
    private final int batches;
    private final int prefetch;
    private int nextToSubmit;
    private int taken;
    private int readyWhenTaken;

    /**
     * @param order      the worker's examples in training order
     * @param firstBatch index of the first batch to produce (a retried task skips batches already trained)
     */
    public BatchPipeline(SourceIndex index, ExampleReader reader, PipelineSettings settings, int[] order,
                         int batchSize, int firstBatch, long seed, int epoch) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, was " + batchSize);
        }
        AugmentSpec spec = settings.augment();
        DataShape shape = index.shape();
        if (spec.channels() != shape.channels() || spec.height() != shape.height() || spec.width() != shape.width()) {
            // Batches are laid out by the dataset's shape; a preprocessor writing another size would garble them.
            throw new IllegalArgumentException("preprocessing outputs " + spec.channels() + "x" + spec.height() + "x"
                    + spec.width() + " but " + index.name() + " is " + shape.channels() + "x" + shape.height() + "x"
                    + shape.width());
        }
        int threads = settings.threads();
        int prefetch = settings.prefetch();
        this.index = index;
        this.reader = reader;
        this.spec = spec;
        this.order = order;
        this.batchSize = batchSize;
        this.seed = seed;
        this.epoch = epoch;
        this.policy = settings.badImages();
        this.labelSmoothing = (float) settings.labelSmoothing();
        this.bad = new BadImages();
        this.batches = (order.length + batchSize - 1) / batchSize;
        this.prefetch = prefetch;
        this.nextToSubmit = Math.min(firstBatch, batches);
        AtomicInteger counter = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "averon-prefetch-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.preprocessors = ThreadLocal.withInitial(() -> new Preprocessor(spec));
        fill();
    }

    public boolean hasNext() {
        return !pending.isEmpty();
    }

    /**
     * The next minibatch, waiting for it if the prefetch threads are behind. A batch whose every image was bad has
     * no examples ({@link Batch#size()} 0).
     *
     * @throws InputException under the fail policy, naming the bad image
     */
    public Batch next() throws IOException {
        Future<Batch> head = pending.poll();
        if (head == null) {
            throw new IllegalStateException("no batches left");
        }
        taken++;
        if (head.isDone()) {
            readyWhenTaken++;
        }
        try {
            Batch batch = head.get();
            fill();
            return batch;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a minibatch of " + index.name(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InputException input) {
                throw input;
            }
            if (cause instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("minibatch assembly failed: " + cause, cause);
        }
    }

    /**
     * Drop the next batches without handing them out: those of steps the parameter server completed without this
     * worker (it was dropped or evicted), so that its next batch is that of the server's next step. Batches already
     * being assembled finish and are discarded (interrupting them could close a reader the others share).
     *
     * @return how many were dropped (fewer only at the end of the epoch)
     */
    public int skip(int count) {
        int dropped = 0;
        while (dropped < count && !pending.isEmpty()) {
            pending.poll().cancel(false);
            dropped++;
        }
        int unsubmitted = Math.min(count - dropped, batches - nextToSubmit);
        nextToSubmit += unsubmitted;
        dropped += unsubmitted;
        fill();
        return dropped;
    }

    /** Batches taken so far. */
    public int taken() {
        return taken;
    }

    /** Of the batches taken, how many were already assembled when the training loop asked for them. */
    public int readyWhenTaken() {
        return readyWhenTaken;
    }

    /** Bad images met so far. */
    public BadImages badImages() {
        return bad.snapshot();
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }

    private void fill() {
        while (pending.size() < prefetch && nextToSubmit < batches) {
            int b = nextToSubmit++;
            pending.add(threads.submit(() -> assemble(b)));
        }
    }

    private Batch assemble(int batch) {
        int from = batch * batchSize;
        int to = Math.min(order.length, from + batchSize);
        DataShape shape = index.shape();
        int imageLength = shape.imageLength();
        int classes = shape.classes();
        int pixels = shape.height() * shape.width();
        float[] features = new float[(to - from) * imageLength];
        float[] labels = new float[(to - from) * (shape.segmentation() ? classes * pixels : classes)];
        float[] mask = shape.segmentation() ? new float[pixels] : null;
        Preprocessor preprocessor = preprocessors.get();
        int n = 0;
        for (int i = from; i < to; i++) {
            int example = order[i];
            LabelledImage item = read(example);
            if (item == null) {
                continue;
            }
            var rng = spec.training() ? Preprocessor.exampleRng(seed, epoch, example) : null;
            if (shape.segmentation()) {
                preprocessor.apply(item.image(), item.mask(), rng, features, n * imageLength, mask, 0);
                if (!oneHotPerPixel(mask, classes, labels, n * classes * pixels, example)) {
                    continue; // the slot is overwritten by the next good example
                }
            } else {
                preprocessor.apply(item.image(), rng, features, n * imageLength);
                if (labelSmoothing > 0) {
                    java.util.Arrays.fill(labels, n * classes, (n + 1) * classes, labelSmoothing / classes);
                }
                labels[n * classes + item.label()] = 1f - labelSmoothing + labelSmoothing / classes;
            }
            n++;
        }
        return new Batch(features, labels, n, shape);
    }

    private LabelledImage read(int example) {
        try {
            return reader.read(example);
        } catch (BadImageException e) {
            return rejected(example, e.getMessage());
        } catch (IOException e) {
            if (policy == BadImagePolicy.FAIL) {
                throw new UncheckedIOException(e);
            }
            return rejected(example, index.describe(example) + ": unreadable (" + e.getMessage() + ")");
        }
    }

    private LabelledImage rejected(int example, String message) {
        if (policy == BadImagePolicy.FAIL) {
            throw new InputException("bad image " + message + " (dataset.bad-images = fail)");
        }
        if (bad.record(message)) {
            LOG.warn("skipped bad image {}", message);
        }
        return null;
    }

    private boolean oneHotPerPixel(float[] mask, int classes, float[] labels, int offset, int example) {
        int pixels = mask.length;
        for (int p = 0; p < pixels; p++) {
            int id = (int) mask[p];
            if (id == IGNORE) {
                continue;
            }
            if (id < 0 || id >= classes) {
                java.util.Arrays.fill(labels, offset, offset + classes * pixels, 0f);
                rejected(example, index.describe(example) + ": mask holds class id " + id + " outside 0.."
                        + (classes - 1) + " (255 = ignore)");
                return false;
            }
            labels[offset + id * pixels + p] = 1f;
        }
        return true;
    }

    /**
     * One assembled minibatch; arrays may be longer than {@code size} examples when bad images were left out.
     *
     * @param size examples in the batch
     */
    public record Batch(float[] features, float[] labels, int size, DataShape shape) {

        /** The batch as DL4J arrays: features [n, c, h, w]; labels [n, classes] or [n, classes, h, w]. */
        public DataSet toDataSet() {
            int n = size;
            long[] featureShape = {n, shape.channels(), shape.height(), shape.width()};
            long[] labelShape = shape.segmentation()
                    ? new long[] {n, shape.classes(), shape.height(), shape.width()}
                    : new long[] {n, shape.classes()};
            int featureLength = n * shape.imageLength();
            int labelLength = (int) (labelShape.length == 2 ? (long) n * shape.classes()
                    : (long) n * shape.classes() * shape.height() * shape.width());
            float[] f = featureLength == features.length ? features : java.util.Arrays.copyOf(features, featureLength);
            float[] l = labelLength == labels.length ? labels : java.util.Arrays.copyOf(labels, labelLength);
            return new DataSet(Nd4j.create(f, featureShape, 'c'), Nd4j.create(l, labelShape, 'c'));
        }
    }
}
