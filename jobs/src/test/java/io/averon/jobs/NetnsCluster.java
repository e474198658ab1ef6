package io.averon.jobs;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Spark standalone cluster spread over emulated hosts: {@code deploy/cluster/netns-cluster.sh up N} makes N network
 * namespaces on a bridge, the Master runs in host 0 bound to its address and one Worker runs in each of hosts 1..N-1,
 * so executors, the driver and the parameter server talk over veths and a bridge instead of loopback. Needs root.
 * Closing it (also from a JVM shutdown hook, and when setup fails half-way) stops every process it started, with
 * their descendants, by PID, then runs the script's {@code down}, which removes the namespaces, links and files and
 * kills whatever is still running inside the namespaces.
 */
final class NetnsCluster implements AutoCloseable {
    /** Port of the Master inside host 0; each host has its own port space, so a fixed port cannot clash. */
    static final int MASTER_PORT = 7077;
    /** The script's status when up finds objects of the prefix already there (and creates nothing). */
    private static final int REFUSED_EXISTING = 3;

    private final Path root;
    private final Path script;
    private final Path sparkHome;
    private final Path logs;
    private final String prefix;
    private final int hosts;
    private final List<Process> processes = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** False while up has not run, and when up refused because hosts of this prefix existed: those are not ours. */
    private volatile boolean ownsHosts;
    private final Thread shutdownHook = new Thread(this::stopEverything, "netns-cluster-shutdown");
    private final List<String> addresses = new ArrayList<>();

    /**
     * @param work         folder for logs and the Workers' work dirs
     * @param prefix       name prefix of the namespaces (the script's --prefix)
     * @param hosts        number of hosts: one Master host plus hosts - 1 Worker hosts
     * @param workerCores  cores each Worker offers
     * @param workerMemory memory each Worker offers, e.g. 2g
     */
    NetnsCluster(Path work, String prefix, int hosts, int workerCores, String workerMemory) throws Exception {
        if (hosts < 2) {
            throw new IllegalArgumentException("a master host and at least one worker host: " + hosts);
        }
        this.root = repositoryRoot();
        this.script = root.resolve("deploy/cluster/netns-cluster.sh");
        this.sparkHome = root.resolve("jobs/target/spark");
        if (!Files.isDirectory(sparkHome.resolve("jars"))) {
            throw new IllegalStateException(sparkHome + "/jars is missing: run the package phase first");
        }
        this.logs = Files.createDirectories(work.resolve("logs"));
        this.prefix = prefix;
        this.hosts = hosts;
        // Registered before anything exists, so that a JVM killed during setup still tears down what was made.
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        boolean started = false;
        try {
            ownsHosts = true;
            String up;
            try {
                up = script("up", String.valueOf(hosts));
            } catch (ScriptFailed e) {
                ownsHosts = e.status != REFUSED_EXISTING;
                throw e;
            }
            for (int i = 0; i < hosts; i++) {
                addresses.add(script("addr", String.valueOf(i)).trim());
            }
            Process master = start(0, "master", List.of(java(), "-Xmx256m", "-cp", sparkHome.resolve("jars")
                    + File.separator + "*", "org.apache.spark.deploy.master.Master", "--host", address(0),
                    "--port", String.valueOf(MASTER_PORT), "--webui-port", "8080"));
            awaitLog("master", master, "I have been elected leader", 1, 90);
            for (int i = 1; i < hosts; i++) {
                start(i, "worker-h" + i, List.of(java(), "-Xmx256m", "-cp", sparkHome.resolve("jars") + File.separator
                        + "*", "org.apache.spark.deploy.worker.Worker", masterUrl(), "--host", address(i),
                        "--cores", String.valueOf(workerCores), "--memory", workerMemory, "--webui-port", "8081",
                        "--work-dir", Files.createDirectories(work.resolve("worker-h" + i)).toString()));
            }
            awaitLog("master", master, "Registering worker", hosts - 1, 90);
            System.out.println("netns cluster up:\n" + up.trim() + "\nmaster " + masterUrl());
            started = true;
        } finally {
            if (!started) {
                close();
            }
        }
    }

    /** @return the repository root: the nearest folder up from the working directory holding the script. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("deploy/cluster/netns-cluster.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("deploy/cluster/netns-cluster.sh not found above " + Path.of("").toAbsolutePath());
    }

    /** @return whether this JVM runs as root, which namespaces and veths need. */
    static boolean runningAsRoot() throws IOException {
        // /proc/self belongs to the process's effective user.
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** @return the repository root (where deploy/ and jobs/ are). */
    Path root() {
        return root;
    }

    /** @return host i's address on the bridge. */
    String address(int host) {
        return addresses.get(host);
    }

    /** @return the Master's URL, at host 0's address. */
    String masterUrl() {
        return "spark://" + address(0) + ":" + MASTER_PORT;
    }

    /** @return the root-namespace end of host i's veth; its rx counts what host i sent, tx what it received. */
    String veth(int host) {
        return prefix + "-v" + host;
    }

    /** @return {bytes host i sent, bytes host i received} so far, from its veth's counters. */
    long[] bytes(int host) throws IOException {
        Path stats = Path.of("/sys/class/net", veth(host), "statistics");
        return new long[] {Long.parseLong(Files.readString(stats.resolve("rx_bytes")).trim()),
            Long.parseLong(Files.readString(stats.resolve("tx_bytes")).trim())};
    }

    /**
     * Starts a command in host i (with SPARK_LOCAL_IP and SPARK_LOCAL_HOSTNAME set to its address by the script's
     * exec, which execs, so the returned process is the command itself); output goes to logs/&lt;name&gt;.log.
     * {@link #close()} stops it.
     */
    synchronized Process start(int host, String name, List<String> command) throws IOException {
        if (closed.get()) {
            throw new IllegalStateException("cluster closed");
        }
        List<String> full = new ArrayList<>(List.of(script.toString(), "--prefix", prefix, "exec",
                String.valueOf(host)));
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("OMP_NUM_THREADS", "1");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** @return the text of logs/&lt;name&gt;.log so far. */
    String log(String name) throws IOException {
        Path file = logs.resolve(name + ".log");
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    /** @return the folder of the cluster's logs. */
    Path logs() {
        return logs;
    }

    private void awaitLog(String name, Process process, String text, int times, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (count(log(name), text) >= times) {
                return;
            }
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a cluster process exited with " + p.exitValue() + ": see " + logs);
                }
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " did not log '" + text + "' " + times + " times in " + seconds
                + " s: see " + logs + "\n" + log(name));
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    /** Runs the script with --prefix and returns its output; fails with the output if it exits non-zero. */
    private String script(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script.toString(), "--prefix", prefix));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 120 s:\n" + out);
        }
        if (p.exitValue() != 0) {
            throw new ScriptFailed(p.exitValue(), String.join(" ", command) + " failed (" + p.exitValue() + "):\n"
                    + out);
        }
        return out;
    }

    /** The script exited non-zero. */
    private static final class ScriptFailed extends IllegalStateException {
        final int status;

        ScriptFailed(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    @Override
    public void close() {
        stopEverything();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // called from the hook itself, or during shutdown: nothing to remove
        }
    }

    /** Stops the processes by PID (newest first, so Workers reap their executors), then takes the hosts down. */
    private void stopEverything() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // A test timeout interrupts this thread; the teardown must still wait for processes and the script.
        boolean interrupted = Thread.interrupted();
        try {
            List<Process> started;
            synchronized (this) {
                started = new ArrayList<>(processes);
            }
            for (int i = started.size() - 1; i >= 0; i--) {
                Process p = started.get(i);
                List<ProcessHandle> descendants = p.descendants().toList();
                p.destroy();
                try {
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    p.destroyForcibly();
                }
                descendants.forEach(ProcessHandle::destroyForcibly);
            }
            if (!ownsHosts) {
                return;
            }
            try {
                script("down");
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (IOException | RuntimeException e) {
                System.err.println("netns cluster: down failed: " + e.getMessage());
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
