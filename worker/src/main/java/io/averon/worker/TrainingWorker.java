package io.averon.worker;

import io.averon.ps.ClientConfig;
import io.averon.ps.ParameterServerClient;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.util.function.BooleanSupplier;

/**
 * The loop one Spark task runs for one epoch: register with the parameter server, then for each local minibatch
 * compute the gradient on the current parameters, send it, and continue with the parameters the server returns.
 * The server decides what a step is; the worker only follows, which is what lets a slow or restarted worker rejoin.
 */
public final class TrainingWorker {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingWorker.class);

    private final WorkerAssignment assignment;
    private final int worker;
    private final String replyHost;

    /**
     * @param assignment what to train
     * @param worker     this worker's index (its partition of the epoch)
     * @param replyHost  this host's address as the parameter server can reach it (the executor's host)
     */
    public TrainingWorker(WorkerAssignment assignment, int worker, String replyHost) {
        this.assignment = assignment;
        this.worker = worker;
        this.replyHost = replyHost;
    }

    /** Loads the examples, trains this worker's partition of the epoch and reports what it did (see below). */
    public WorkerReport run(Runnable afterRegistration, BooleanSupplier cancelled) throws IOException {
        Examples examples = assignment.source().load();
        return run(examples, afterRegistration, cancelled);
    }

    /**
     * As {@link #run(Runnable)}, with examples already in memory.
     *
     * @param afterRegistration called once this worker holds the server's parameters and before its first step; the
     *                          driver passes a barrier here so no step starts before every worker has joined
     * @param cancelled         checked before every step: when Spark kills the task (its stage failed elsewhere)
     *                          the worker leaves at once instead of training on alone and holding its core
     */
    public WorkerReport run(Examples examples, Runnable afterRegistration, BooleanSupplier cancelled) {
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(assignment.modelJson());
        ModelReplica replica = new ModelReplica(conf);
        int[] order = assignment.plan().partition(worker);
        int batch = assignment.batchSize();
        WorkerAssignment.Transport transport = assignment.transport();
        ClientConfig config = ClientConfig.builder()
                .serverEndpoint(assignment.serverEndpoint())
                .token(assignment.token())
                .workerId(worker)
                .replyHost(replyHost)
                .aeronDirectory(assignment.aeronDirectory())
                .connectTimeoutMs(assignment.connectTimeoutMs())
                .responseTimeoutMs(assignment.responseTimeoutMs())
                .mtu(transport.mtu())
                .termLength(transport.termLength())
                .chunkBytes(transport.chunkBytes())
                .build();
        float[] gradient = new float[replica.parameterCount()];
        int steps = 0;
        long exampleCount = 0;
        double lossSum = 0;
        long computeNanos = 0;
        long waitNanos = 0;
        int skipped;
        try (ParameterServerClient client = ParameterServerClient.connect(config)) {
            if (client.parameters().length != gradient.length) {
                throw new InputException("parameter server holds " + client.parameters().length
                        + " parameters but this worker's network has " + gradient.length);
            }
            skipped = (int) Math.max(0, Math.min(client.step() - assignment.epochStartStep(), Integer.MAX_VALUE));
            replica.parameters(client.parameters());
            afterRegistration.run();
            for (int from = skipped * batch; from < order.length && !cancelled.getAsBoolean(); from += batch) {
                int to = Math.min(order.length, from + batch);
                long t0 = System.nanoTime();
                DataSet ds = examples.batch(order, from, to);
                double loss = replica.gradient(ds, gradient);
                long t1 = System.nanoTime();
                client.exchange(gradient, to - from, loss);
                replica.parameters(client.parameters());
                long t2 = System.nanoTime();
                computeNanos += t1 - t0;
                waitNanos += t2 - t1;
                steps++;
                exampleCount += to - from;
                lossSum += loss;
            }
        }
        if (skipped > 0) {
            LOG.info("worker {} resumed epoch {} after {} steps already taken", worker, assignment.plan().epoch(), skipped);
        }
        return new WorkerReport(worker, hostName(), steps, exampleCount, skipped, lossSum, computeNanos, waitNanos);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName() + "/pid" + ProcessHandle.current().pid();
        } catch (IOException e) {
            return "unknown/pid" + ProcessHandle.current().pid();
        }
    }
}
