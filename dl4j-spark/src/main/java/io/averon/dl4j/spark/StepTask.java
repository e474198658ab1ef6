package io.averon.dl4j.spark;

import io.averon.ps.ClientConfig;
import io.averon.ps.LogBufferSpace;
import io.averon.ps.NoFreePortException;
import io.averon.ps.ParameterServerClient;
import io.averon.ps.PortRange;
import io.averon.worker.InputException;
import io.averon.worker.ModelReplica;
import io.averon.worker.StepLoop;
import io.averon.worker.WorkerAssignment;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.nd4j.linalg.dataset.DataSet;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The body of one barrier task of a fit: partition w, one minibatch per step, is trained by worker w. The task
 * registers with the parameter server, passes Spark's barrier so that no step starts before every worker holds the
 * parameters, and then runs Averon's {@link StepLoop} over its persisted minibatches. A retried stage rejoins at the
 * server's current step and skips the minibatches of the steps already taken.
 */
final class StepTask extends AbstractFunction1<Iterator<DataSet>, Iterator<StepReport>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StepAssignment assignment;

    StepTask(StepAssignment assignment) {
        this.assignment = assignment;
    }

    @Override
    public Iterator<StepReport> apply(Iterator<DataSet> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int worker = context.partitionId();
        // The address this executor registered with Spark: the one the driver reaches it on.
        String host = SparkEnv.get().blockManager().blockManagerId().host();
        ModelReplica replica = new ModelReplica(assignment.model());
        ClientConfig config = clientConfig(worker, host);
        if (assignment.aeronDirectory() == null) {
            try {
                LogBufferSpace.check("worker " + worker + " on " + host,
                        LogBufferSpace.workerBytes(assignment.transport().termLength()),
                        LogBufferSpace.defaultDirectory());
            } catch (IllegalArgumentException e) {
                throw new InputException(e.getMessage());
            }
        }
        StepLoop.Totals totals;
        long skipped;
        try (ParameterServerClient client = connect(config)) {
            if (client.parameters().length != replica.parameterCount()) {
                throw new InputException("parameter server holds " + client.parameters().length
                        + " parameters but worker " + worker + "'s network has " + replica.parameterCount());
            }
            skipped = Math.max(0, client.step() - assignment.startStep());
            replica.parameters(client.parameters());
            RddMinibatches batches = new RddMinibatches(JavaConverters.asJavaIterator(partition));
            batches.skip((int) Math.min(skipped, Integer.MAX_VALUE));
            context.barrier();
            totals = new StepLoop(replica, client, worker).run(batches, assignment.startStep() + skipped,
                    context::isInterrupted, assignment.epoch() + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("worker " + worker + " could not read its minibatches", e);
        }
        context.killTaskIfInterrupted();
        StepReport report = new StepReport(worker, totals.steps(), skipped, totals.examples(), totals.lossSum(),
                totals.computeNanos(), totals.waitNanos());
        return scala.collection.Iterator$.MODULE$.single(report);
    }

    private ClientConfig clientConfig(int worker, String host) {
        WorkerAssignment.Transport transport = assignment.transport();
        return ClientConfig.builder()
                .serverEndpoint(assignment.serverEndpoint())
                .token(assignment.token())
                .workerId(worker)
                .replyHost(host)
                .aeronDirectory(assignment.aeronDirectory())
                .connectTimeoutMs(assignment.connectTimeoutMs())
                .responseTimeoutMs(assignment.responseTimeoutMs())
                .replyPorts(PortRange.parse("ps.worker-ports", transport.replyPorts()))
                .media(ClientConfig.Media.valueOf(transport.media().toUpperCase(Locale.ROOT)))
                .mtu(transport.mtu())
                .termLength(transport.termLength())
                .chunkBytes(transport.chunkBytes())
                .paramsGroup(transport.paramsGroup())
                .build();
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
