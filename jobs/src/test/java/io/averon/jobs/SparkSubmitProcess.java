package io.averon.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one real {@code deploy/spark-submit} process as a user's shell would, with its output (both streams) in a log
 * file, traffic kept on 127.0.0.1 and the project's own Spark runtime (no inherited SPARK_HOME); the process and
 * everything it started are stopped by PID when it ends or times out.
 */
final class SparkSubmitProcess {
    private SparkSubmitProcess() {
    }

    /** How the submission ended: spark-submit's exit status and everything it printed. */
    record Finished(int status, String output) {
    }

    static Finished run(List<String> command, Path log, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        builder.environment().remove("SPARK_HOME");
        builder.environment().putAll(environment);
        Process process = builder.start();
        try {
            if (!process.waitFor(12, TimeUnit.MINUTES)) {
                throw new IllegalStateException("spark-submit did not finish; log " + log);
            }
            return new Finished(process.exitValue(), Files.readString(log));
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** The live processes whose command line contains every fragment. */
    static java.util.List<ProcessHandle> processes(String... fragments) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> java.util.Arrays.stream(fragments).allMatch(c::contains)).orElse(false)).toList();
    }
}
