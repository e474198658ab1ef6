package io.averon.driver;

import io.averon.worker.TrainingWorker;
import io.averon.worker.WorkerAssignment;
import io.averon.worker.WorkerReport;
import org.apache.spark.BarrierTaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;

/**
 * The body of one barrier task of an epoch: partition i runs worker i. All tasks pass Spark's barrier after
 * registering with the parameter server, so the first synchronous step waits for every worker; if one task fails,
 * Spark restarts the whole stage and the workers rejoin at the server's current step.
 */
final class EpochTask extends AbstractFunction1<Iterator<Integer>, Iterator<WorkerReport>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final WorkerAssignment assignment;

    EpochTask(WorkerAssignment assignment) {
        this.assignment = assignment;
    }

    @Override
    public Iterator<WorkerReport> apply(Iterator<Integer> partition) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int worker = context.partitionId();
        try {
            // The address this executor registered with Spark (SPARK_LOCAL_IP / SPARK_LOCAL_HOSTNAME honoured): the
            // one the driver reaches it on, and the name reports give it.
            String host = org.apache.spark.SparkEnv.get().blockManager().blockManagerId().host();
            // Each task trains on the GPU Spark gave it (none: ND4J's default device, or the CPU).
            WorkerReport report = new TrainingWorker(assignment, worker, host, TaskGpus.of(context.resourcesJMap()))
                    .run(context::barrier, context::isInterrupted);
            context.killTaskIfInterrupted();
            return scala.collection.Iterator$.MODULE$.single(report);
        } catch (IOException e) {
            throw new UncheckedIOException("worker " + worker + " could not read " + assignment.data().name(), e);
        }
    }
}
