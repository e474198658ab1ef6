package io.averon.dl4j.spark;

import io.averon.driver.EpochSummary;
import io.averon.driver.TrainingMetricsSource;
import io.averon.ps.ParameterServer;
import io.averon.ps.ServerStats;
import org.apache.spark.SparkEnv;

/**
 * AveronTrainingMaster's figures in Spark's metrics system, under the same source ("averon") and names as a run of
 * {@code averon train}: the parameter server's counters while a fit runs (and its last values between fits), and per
 * fit the train figures of an epoch (images/s, mean minibatch loss; the test figures stay NaN, since the program
 * evaluates on its own). One per master; registered with the driver's Spark environment at the first fit, and again
 * when the program made a new context.
 */
final class FitMetrics {
    private volatile ParameterServer server;
    private volatile ServerStats last;
    private TrainingMetricsSource source;
    private SparkEnv registeredWith;

    /** A fit's server started; {@code oneBasedEpoch} counts the program's fits of this network. */
    synchronized void fitStarted(ParameterServer fitServer, int oneBasedEpoch) {
        this.server = fitServer;
        SparkEnv env = SparkEnv.get();
        if (source == null || env != registeredWith) {
            if (source != null) {
                source.close();
            }
            source = TrainingMetricsSource.register(this::stats);
            registeredWith = env;
        }
        source.epochStarted(oneBasedEpoch);
    }

    /** The fit's server is about to stop: its last counters stay visible until the next fit. */
    synchronized void serverStopping() {
        ParameterServer s = server;
        if (s != null) {
            last = s.stats();
            server = null;
        }
    }

    synchronized void fitEnded(EpochSummary summary) {
        source.epochEnded(summary);
    }

    private ServerStats stats() {
        ParameterServer s = server;
        return s != null ? s.stats() : last;
    }
}
