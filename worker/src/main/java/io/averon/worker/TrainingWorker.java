package io.averon.worker;

import io.averon.worker.data.BadImages;
import io.averon.worker.data.BatchPipeline;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

import io.averon.ps.ClientConfig;
import io.averon.ps.NoFreePortException;
import io.averon.ps.LogBufferSpace;
import io.averon.ps.ParameterServerClient;
import io.averon.ps.PortRange;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
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
    private final List<String> gpuAddresses;

    /**
     * A worker with no GPU assigned: it trains on whatever ND4J's backend gives the calling thread.
     *
     * @param assignment what to train
     * @param worker     this worker's index (its partition of the epoch)
     * @param replyHost  this host's address as the parameter server can reach it (the executor's host)
     */
    public TrainingWorker(WorkerAssignment assignment, int worker, String replyHost) {
        this(assignment, worker, replyHost, List.of());
    }

    /**
     * @param assignment   what to train
     * @param worker       this worker's index (its partition of the epoch)
     * @param replyHost    this host's address as the parameter server can reach it (the executor's host)
     * @param gpuAddresses the GPU addresses Spark assigned to this worker's task (empty = none); see {@link GpuDevice}
     */
    public TrainingWorker(WorkerAssignment assignment, int worker, String replyHost, List<String> gpuAddresses) {
        this.assignment = assignment;
        this.worker = worker;
        this.replyHost = replyHost;
        this.gpuAddresses = List.copyOf(gpuAddresses);
    }

    /**
     * Trains this worker's partition of the epoch and reports what it did.
     *
     * @param afterRegistration called once this worker holds the server's parameters and before its first step; the
     *                          driver passes a barrier here so no step starts before every worker has joined
     * @param cancelled         checked before every step: when Spark kills the task (its stage failed elsewhere)
     *                          the worker leaves at once instead of training on alone and holding its core
     */
    public WorkerReport run(Runnable afterRegistration, BooleanSupplier cancelled) throws IOException {
        // Before the replica exists: ND4J places a thread's arrays on the device it was bound to at allocation.
        // The prefetch threads only fill float[] batches; the arrays are made here, on this thread, by toDataSet.
        GpuDevice.bindCurrentThread(gpuAddresses);
        ModelReplica replica = new ModelReplica(assignment.model());
        Teacher.Instance teacher = assignment.teacher() == null ? null : assignment.teacher().instantiate();
        SourceIndex data = assignment.data();
        PipelineSettings settings = assignment.pipeline();
        EpochPlan plan = assignment.plan();
        int[] order = assignment.order(worker);
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
                .replyPorts(PortRange.parse("ps.worker-ports", transport.replyPorts()))
                .media(ClientConfig.Media.valueOf(transport.media().toUpperCase(java.util.Locale.ROOT)))
                .mtu(transport.mtu())
                .termLength(transport.termLength())
                .chunkBytes(transport.chunkBytes())
                .paramsGroup(transport.paramsGroup())
                .build();
        if (assignment.aeronDirectory() == null) {
            try {
                LogBufferSpace.check("worker " + worker + " on " + replyHost,
                        LogBufferSpace.workerBytes(transport.termLength()), LogBufferSpace.defaultDirectory());
            } catch (IllegalArgumentException e) {
                throw new InputException(e.getMessage());
            }
        }
        int skipped;
        StepLoop.Totals totals;
        int ready;
        BadImages bad;
        try (ExampleReader reader = data.open();
             ParameterServerClient client = connect(config)) {
            if (client.parameters().length != replica.parameterCount()) {
                throw new InputException("parameter server holds " + client.parameters().length
                        + " parameters but this worker's network has " + replica.parameterCount());
            }
            skipped = (int) Math.max(0, Math.min(client.step() - assignment.epochStartStep(), Integer.MAX_VALUE));
            replica.parameters(client.parameters());
            try (BatchPipeline batches = new BatchPipeline(data, reader, settings, order, batch, skipped,
                    plan.seed(), plan.epoch())) {
                afterRegistration.run();
                totals = new StepLoop(replica, client, worker).run(new PipelineBatches(batches, teacher),
                        assignment.epochStartStep() + skipped, cancelled, plan.epoch() + 1);
                ready = batches.readyWhenTaken();
                bad = batches.badImages();
            }
        }
        if (skipped > 0) {
            LOG.info("worker {} resumed epoch {} after {} steps already taken", worker, plan.epoch(), skipped);
        }
        if (bad.count() > 0) {
            LOG.warn("worker {} skipped {} bad image(s) in epoch {}", worker, bad.count(), plan.epoch() + 1);
        }
        // The host as Spark knows the executor (its registered address), not InetAddress.getLocalHost(), which does
        // not resolve in many containers and network namespaces.
        return new WorkerReport(worker, replyHost + "/pid" + ProcessHandle.current().pid(), totals.steps(),
                totals.examples(), skipped, totals.lossSum(), totals.computeNanos(), totals.waitNanos(), ready, bad);
    }

    /**
     * Averon's own dataset reader as the step loop's minibatches: a batch whose every image was bad is handed out as
     * null (the loop then takes part in the step without moving the average much), a distillation teacher's soft
     * labels are applied as the batch is taken.
     */
    private static final class PipelineBatches implements Minibatches {
        private final BatchPipeline batches;
        private final Teacher.Instance teacher;

        PipelineBatches(BatchPipeline batches, Teacher.Instance teacher) {
            this.batches = batches;
            this.teacher = teacher;
        }

        @Override
        public boolean hasNext() {
            return batches.hasNext();
        }

        @Override
        public DataSet next() throws IOException {
            BatchPipeline.Batch next = batches.next();
            if (next.size() == 0) {
                return null;
            }
            DataSet ds = next.toDataSet();
            return teacher == null ? ds : teacher.distil(ds);
        }

        @Override
        public int skip(int count) {
            return batches.skip(count);
        }
    }

    /** A full ps.worker-ports range on this host is a setting for the user to widen: reported as bad input. */
    private static ParameterServerClient connect(ClientConfig config) {
        try {
            return ParameterServerClient.connect(config);
        } catch (NoFreePortException e) {
            throw new InputException(e.getMessage(), e);
        }
    }
}
