package io.averon.worker;

import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

import java.io.Serializable;

/**
 * Everything one Spark task needs to train its share of an epoch: where the parameter server listens and the secret
 * that admits it, the network, its data and slice of the epoch. It travels in the task closure, so workers find the
 * server without any process-wide registry.
 *
 * @param serverEndpoint    "host:port" of the parameter server
 * @param token             the run's secret, checked at registration
 * @param aeronDirectory    an existing media driver to share (same JVM or host), or null to start one per task
 * @param model             the network's DL4J configuration
 * @param data              the planned training examples
 * @param pipeline          how minibatches are read, augmented and prefetched
 * @param plan              the epoch's partitioning
 * @param batchSize         local minibatch size
 * @param epochStartStep    global step at which this round of the epoch began: batch b of a worker's slice belongs
 *                          to step epochStartStep + b, so a retried task skips the steps already taken
 * @param connectTimeoutMs  how long to wait for the server at registration
 * @param responseTimeoutMs how long to wait for the parameters of the next step
 * @param transport         Aeron channel settings shared with the server
 * @param teacher           the distillation teacher, or null
 * @param catchUp           null for the epoch's first round (the plan's slices); otherwise the examples earlier
 *                          rounds did not train, dealt again
 */
public record WorkerAssignment(String serverEndpoint, String token, String aeronDirectory, ModelDefinition model,
                               SourceIndex data, PipelineSettings pipeline, EpochPlan plan, int batchSize, long epochStartStep,
                               long connectTimeoutMs, long responseTimeoutMs, Transport transport,
                               Teacher teacher, CatchUpRound catchUp)
        implements Serializable {

    /** The first round of an epoch: every worker trains its slice of the plan. */
    public WorkerAssignment(String serverEndpoint, String token, String aeronDirectory, ModelDefinition model,
                            SourceIndex data, PipelineSettings pipeline, EpochPlan plan, int batchSize,
                            long epochStartStep, long connectTimeoutMs, long responseTimeoutMs, Transport transport,
                            Teacher teacher) {
        this(serverEndpoint, token, aeronDirectory, model, data, pipeline, plan, batchSize, epochStartStep,
                connectTimeoutMs, responseTimeoutMs, transport, teacher, null);
    }

    /** @return the workers of this round: the plan's, or fewer in a catch-up round with few examples. */
    public int workers() {
        return catchUp == null ? plan.workers() : catchUp.workers();
    }

    /** The example indices {@code worker} trains in this round, in order; batch b is cut from b x batchSize on. */
    public int[] order(int worker) {
        if (catchUp != null) {
            return catchUp.slice(worker);
        }
        return pipeline.classBalanced() ? plan.balancedPartition(worker, data) : plan.partition(worker);
    }

    /** How many examples {@code worker} trains in this round ({@link #order} drawn only when the indices matter). */
    public int sliceSize(int worker) {
        return catchUp != null ? catchUp.sliceSize(worker) : plan.partitionSize(worker);
    }

    /** The same run and epoch, a catch-up round starting at {@code startStep}. */
    public WorkerAssignment catchingUp(CatchUpRound round, long startStep) {
        return new WorkerAssignment(serverEndpoint, token, aeronDirectory, model, data, pipeline, plan, batchSize,
                startStep, connectTimeoutMs, responseTimeoutMs, transport, teacher, round);
    }

    /**
     * Aeron settings every party of a run must agree on.
     *
     * @param mtu        UDP MTU of the worker's publication, 0 = fit the link of the worker's host
     * @param termLength Aeron term length
     * @param chunkBytes payload bytes per gradient chunk
     * @param replyPorts UDP ports the worker may bind for replies ("0", "P" or "FIRST-LAST"; ps.worker-ports)
     * @param media      "auto", "udp" or "ipc" (ps.transport): auto takes IPC when sharing the server's media driver
     */
    public record Transport(int mtu, int termLength, int chunkBytes, String replyPorts, String media,
                            String paramsGroup)
            implements Serializable {
    }
}
