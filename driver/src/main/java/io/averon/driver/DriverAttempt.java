package io.averon.driver;

import io.averon.driver.config.JobConfig;
import org.apache.spark.SparkConf;
import scala.Option;

/**
 * Whether this driver may be a restart of one that died, so that finding its predecessor's lock in the run directory
 * means "resume", not "someone else's run": a YARN application attempt after the first
 * ({@code spark.yarn.maxAppAttempts}), a standalone cluster-mode driver submitted with {@code --supervise}, or a run
 * configured with {@code run.auto-resume} (for a Kubernetes operator's restart policy, which tells the driver
 * nothing). A plain new submission is none of these and resumes only with {@code --resume}.
 */
final class DriverAttempt {
    private DriverAttempt() {
    }

    static boolean mayBeARestart(SparkConf spark, Option<String> applicationAttemptId, JobConfig config) {
        boolean laterYarnAttempt = applicationAttemptId.isDefined() && !applicationAttemptId.get().equals("1");
        return laterYarnAttempt || spark.getBoolean("spark.driver.supervise", false) || config.flag("run.auto-resume");
    }
}
