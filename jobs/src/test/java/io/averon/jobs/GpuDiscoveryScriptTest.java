package io.averon.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs deploy/gpu-discovery.sh, Spark's GPU discovery script, against a fake nvidia-smi on PATH (this machine has no
 * GPU): its JSON must be what Spark's own parser accepts, and every way it can fail must say why on stderr and exit
 * non-zero, since Spark then refuses to start the executor with that message.
 */
class GpuDiscoveryScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."))
            .resolve("../deploy/gpu-discovery.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void listsEveryGpuAsSparkResourceJson() throws Exception {
        Path bin = fakeNvidiaSmi("0\n1\n2\n3\n", 0);
        Run run = run(bin, Map.of());

        assertEquals(0, run.exitCode, run.toString());
        assertEquals("{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\",\"2\",\"3\"]}", run.stdout.strip());
        ResourceInformation parsed = ResourceInformation.parseJson(run.stdout.strip());
        assertEquals("gpu", parsed.name());
        assertArrayEquals(new String[] {"0", "1", "2", "3"}, parsed.addresses());
        assertEquals("--query-gpu=index --format=csv,noheader", Files.readString(dir.resolve("args")).strip(),
                "the script must ask nvidia-smi for bare indices");
    }

    @Test
    void oneGpuAndStrayWhitespace() throws Exception {
        Run run = run(fakeNvidiaSmi(" 0 \r\n\n", 0), Map.of());

        assertEquals(0, run.exitCode, run.toString());
        assertEquals("{\"name\":\"gpu\",\"addresses\":[\"0\"]}", run.stdout.strip());
    }

    @Test
    void missingNvidiaSmiIsAClearError() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty-bin"));
        Run run = run(empty, Map.of());

        assertEquals(1, run.exitCode, run.toString());
        assertEquals("", run.stdout, "no JSON when discovery failed");
        assertTrue(run.stderr.contains("gpu-discovery.sh: error: nvidia-smi not found on PATH"), run.stderr);
    }

    @Test
    void aFailingNvidiaSmiIsReportedWithItsMessage() throws Exception {
        Path bin = fakeNvidiaSmi("NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.\n", 9);
        Run run = run(bin, Map.of());

        assertEquals(1, run.exitCode, run.toString());
        assertEquals("", run.stdout);
        assertTrue(run.stderr.contains("nvidia-smi --query-gpu=index failed: NVIDIA-SMI has failed because it "
                + "could not communicate with the NVIDIA driver."), run.stderr);
    }

    @Test
    void noGpuAtAllIsAnError() throws Exception {
        Run run = run(fakeNvidiaSmi("", 0), Map.of());

        assertEquals(1, run.exitCode, run.toString());
        assertTrue(run.stderr.contains("nvidia-smi lists no GPU"), run.stderr);
    }

    @Test
    void somethingOtherThanAnIndexIsAnError() throws Exception {
        Run run = run(fakeNvidiaSmi("0\nGPU-5a3c1e2f\n", 0), Map.of());

        assertEquals(1, run.exitCode, run.toString());
        assertEquals("", run.stdout);
        assertTrue(run.stderr.contains("nvidia-smi listed 'GPU-5a3c1e2f', not a GPU index"), run.stderr);
    }

    @Test
    void visibleDevicesAreRenumberedAsCudaDoes() throws Exception {
        // CUDA_VISIBLE_DEVICES=2,3 makes CUDA (and ND4J) see those two GPUs as devices 0 and 1.
        Run run = run(fakeNvidiaSmi("0\n1\n2\n3\n", 0), Map.of("CUDA_VISIBLE_DEVICES", "2,3"));

        assertEquals(0, run.exitCode, run.toString());
        assertEquals("{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}", run.stdout.strip());
    }

    @Test
    void emptyVisibleDevicesMeansNoGpu() throws Exception {
        Run run = run(fakeNvidiaSmi("0\n1\n", 0), Map.of("CUDA_VISIBLE_DEVICES", ""));

        assertEquals(1, run.exitCode, run.toString());
        assertTrue(run.stderr.contains("CUDA_VISIBLE_DEVICES is set but empty"), run.stderr);
    }

    @Test
    void moreVisibleDevicesThanGpusIsAnError() throws Exception {
        Run run = run(fakeNvidiaSmi("0\n", 0), Map.of("CUDA_VISIBLE_DEVICES", "0,1"));

        assertEquals(1, run.exitCode, run.toString());
        assertTrue(run.stderr.contains("CUDA_VISIBLE_DEVICES=0,1 names 2 GPUs but nvidia-smi lists 1"), run.stderr);
    }

    /** A directory with an nvidia-smi that records its arguments, prints {@code output}, exits with {@code status}. */
    private Path fakeNvidiaSmi(String output, int status) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path fake = bin.resolve("nvidia-smi");
        // Builtins only: PATH holds nothing but this directory.
        Files.writeString(fake, "#!/bin/bash\n"
                + "echo \"$*\" > '" + dir.resolve("args") + "'\n"
                + "printf '%s' '" + output + "'\n"
                + "exit " + status + "\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private Run run(Path path, Map<String, String> env) throws IOException, InterruptedException {
        Path stderr = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder("/bin/bash", SCRIPT.toString())
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> environment = builder.environment();
        // Only the fake (or nothing) on PATH, so a real nvidia-smi on the machine cannot answer instead.
        environment.put("PATH", path.toString());
        environment.remove("CUDA_VISIBLE_DEVICES");
        environment.putAll(new HashMap<>(env));
        Process process = builder.start();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        process.getInputStream().transferTo(stdout);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "script did not finish");
        return new Run(process.exitValue(), stdout.toString(StandardCharsets.UTF_8), Files.readString(stderr));
    }

    private record Run(int exitCode, String stdout, String stderr) {
    }
}
