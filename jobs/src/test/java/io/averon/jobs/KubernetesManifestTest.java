package io.averon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.averon.driver.ServerNetwork;
import io.averon.driver.config.JobConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * The files of deploy/k8s, checked without a cluster: the pod templates strictly as fabric8 Pod objects (the /dev/shm
 * volume sized by the formula in their comments, Aeron's UDP ports), the SparkApplication against
 * {@link SparkApplicationSchema} and for agreement with the templates and submit.sh, and the Dockerfile's base image,
 * jar and entrypoint. KubernetesSubmitIT shows what Spark makes of the templates.
 */
class KubernetesManifestTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path K8S = ROOT.resolve("deploy/k8s");
    private static final String JAR = "/opt/averon/averon.jar";
    private static final Set<Integer> WORKER_PORTS =
            IntStream.rangeClosed(40100, 40199).boxed().collect(Collectors.toSet());
    /** Aeron's conductor file and counters next to the log buffers in /dev/shm (a few MiB with default settings). */
    private static final long AERON_CNC = 4L << 20;

    private static long termLength() {
        return ConfigFactory.parseFile(ROOT.resolve("conf/averon-defaults.conf").toFile()).getBytes("ps.term-length");
    }

    /** Per worker, two log buffers (a publication and the image of the other side's) of 3 x ps.term-length each. */
    private static long shmFor(int workers) {
        return workers * 2L * 3L * termLength() + AERON_CNC;
    }

    @Test
    void driverTemplateGivesTheParameterServerShmAndItsUdpPort() throws IOException {
        Pod pod = StrictKubernetesYaml.read(K8S.resolve("driver-pod-template.yaml"), Pod.class);
        assertEquals("v1", pod.getApiVersion());
        assertEquals("Pod", pod.getKind());
        Container container = onlyContainer(pod, "spark-kubernetes-driver");
        long shm = shm(pod, container);
        assertTrue(shm >= shmFor(10), "1Gi is documented to hold 10 workers: " + shm);
        assertEquals(List.of("40099/UDP"), ports(container));
        assertTrue(shm < bytes(submitConf("spark.driver.memoryOverhead")), "/dev/shm counts against memoryOverhead");
    }

    @Test
    void executorTemplateGivesWorkersShmAndTheirReplyPorts() throws IOException {
        Pod pod = StrictKubernetesYaml.read(K8S.resolve("executor-pod-template.yaml"), Pod.class);
        Container container = onlyContainer(pod, "spark-kubernetes-executor");
        long shm = shm(pod, container);
        assertTrue(shm >= shmFor(2), "256Mi is documented to hold 2 workers per executor: " + shm);
        List<ContainerPort> ports = container.getPorts();
        assertEquals(WORKER_PORTS.size(), ports.size(), "one entry per port, no duplicates");
        assertEquals(WORKER_PORTS, ports.stream().map(ContainerPort::getContainerPort).collect(Collectors.toSet()));
        assertTrue(ports.stream().allMatch(p -> "UDP".equals(p.getProtocol())), "all UDP: " + ports);
        assertTrue(shm < bytes(submitConf("spark.executor.memoryOverhead")), "/dev/shm counts against memoryOverhead");
    }

    @Test
    void strictReadingRefusesFieldsTheModelDoesNotHave(@TempDir Path dir) throws IOException {
        String template = Files.readString(K8S.resolve("driver-pod-template.yaml"));
        Path typo = Files.writeString(dir.resolve("typo.yaml"), template.replace("sizeLimit:", "sizeLimt:"));
        IOException unknown = assertThrows(IOException.class, () -> StrictKubernetesYaml.read(typo, Pod.class));
        assertTrue(unknown.getMessage().contains("emptyDir.sizeLimt"), unknown.getMessage());
        Path wrongType = Files.writeString(dir.resolve("type.yaml"),
                template.replace("containerPort: 40099", "containerPort: forty"));
        assertThrows(IOException.class, () -> StrictKubernetesYaml.read(wrongType, Pod.class));
    }

    @Test
    void sparkApplicationFitsTheOperatorSchemaAndAgreesWithTheTemplates() throws Exception {
        SparkApplicationSchema.SparkApplication app = SparkApplicationSchema.read(K8S.resolve("spark-application.yaml"));
        SparkApplicationSchema.Spec spec = app.spec();
        assertNotNull(app.metadata().getName());
        assertEquals("Java", spec.type());
        assertEquals("cluster", spec.mode());
        assertEquals(pomProperty("spark.version"), spec.sparkVersion());
        assertEquals("io.averon.jobs.Averon", spec.mainClass());
        assertEquals("local://" + JAR, spec.mainApplicationFile());
        // A failed driver is started again and resumes by itself: only with a run directory every attempt shares.
        assertEquals("OnFailure", spec.restartPolicy().type());
        assertTrue(spec.restartPolicy().onFailureRetries() > 0);
        assertTrue(spec.restartPolicy().onFailureRetryInterval() * 1000 > JobConfig.load("", "defaults", List.of())
                .millis("run.lock-stale"), "a killed driver's lock is stale when the next driver starts");
        List<String> averonArgs = spec.arguments();
        assertTrue(averonArgs.contains("run.auto-resume=true"), averonArgs.toString());
        assertTrue(averonArgs.get(averonArgs.indexOf("--run-dir") + 1).startsWith("hdfs://"),
                "the run directory is on storage every attempt's pod reaches: " + averonArgs);
        assertEquals("false", spec.sparkConf().get("spark.dynamicAllocation.enabled"));

        for (String role : List.of("driver", "executor")) {
            Pod template = StrictKubernetesYaml.read(K8S.resolve(role + "-pod-template.yaml"), Pod.class);
            Quantity templateSize = template.getSpec().getVolumes().get(0).getEmptyDir().getSizeLimit();
            String prefix = "spark.kubernetes." + role + ".volumes.emptyDir.aeron-shm.";
            assertEquals("/dev/shm", spec.sparkConf().get(prefix + "mount.path"));
            assertEquals("Memory", spec.sparkConf().get(prefix + "options.medium"));
            assertEquals(templateSize, new Quantity(spec.sparkConf().get(prefix + "options.sizeLimit")), role);
        }

        SparkApplicationSchema.Driver driver = spec.driver();
        for (String flag : pomProperty("averon.jvm.flags").split("\\s+")) {
            assertTrue(driver.javaOptions().contains(flag), flag + " missing from driver.javaOptions");
        }
        assertEquals(submitConf("spark.driver.memory"), driver.memory());
        assertEquals(submitConf("spark.driver.memoryOverhead"), driver.memoryOverhead());
        assertEquals(List.of("40099/UDP"), driver.ports().stream()
                .map(p -> p.containerPort() + "/" + p.protocol()).toList());

        SparkApplicationSchema.Executor executor = spec.executor();
        assertTrue(executor.javaOptions().contains("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"));
        assertEquals(submitConf("spark.executor.memory"), executor.memory());
        assertEquals(submitConf("spark.executor.memoryOverhead"), executor.memoryOverhead());
        assertEquals(1, executor.cores());
        assertEquals(WORKER_PORTS.size(), executor.ports().size());
        assertEquals(WORKER_PORTS, executor.ports().stream().map(SparkApplicationSchema.Port::containerPort)
                .collect(Collectors.toSet()));
        assertTrue(executor.ports().stream().allMatch(p -> p.protocol().equals("UDP")));
        assertEquals(executor.ports().size(),
                executor.ports().stream().map(SparkApplicationSchema.Port::name).collect(Collectors.toSet()).size(),
                "port names are unique");

        List<String> args = spec.arguments();
        assertEquals(String.valueOf(executor.instances()), args.get(args.indexOf("--workers") + 1),
                "one single-core executor per worker: the barrier stage needs a slot for each");
        assertTrue(args.contains("ps.port=40099") && args.contains("ps.worker-ports=40100-40199"), args.toString());
        // The ports as Averon itself checks them: the server's port outside the workers' range.
        List<String> settings = IntStream.range(0, args.size() - 1).filter(i -> args.get(i).equals("--set"))
                .mapToObj(i -> args.get(i + 1)).filter(a -> a.startsWith("ps.")).toList();
        ServerNetwork.of(JobConfig.load("", "the manifest's arguments", settings), new SparkConf(false));
    }

    @Test
    void schemaRefusesUnknownFieldsWrongTypesAndValues(@TempDir Path dir) throws IOException {
        String app = Files.readString(K8S.resolve("spark-application.yaml"));
        Map<String, String> broken = Map.of(
                "memoryOverHead", app.replace("memoryOverhead: 2g", "memoryOverHead: 2g"),
                "expected a string", app.replace("spark.dynamicAllocation.enabled: \"false\"",
                        "spark.dynamicAllocation.enabled: false"),
                "is not one of", app.replace("protocol: UDP}", "protocol: udp}"),
                "does not match", app.replace("memory: 4g", "memory: 4 GB"),
                "spec.driver.env[0].valu", app.replaceFirst("value: \"1\"", "valu: \"1\""),
                "spec.executor: required", app.replace("  executor:\n", "  executors:\n"));
        for (Map.Entry<String, String> e : broken.entrySet()) {
            assertTrue(!e.getValue().equals(app), "the mutation for '" + e.getKey() + "' applies");
            Path file = Files.writeString(dir.resolve("app.yaml"), e.getValue());
            IOException error = assertThrows(IOException.class, () -> SparkApplicationSchema.read(file), e.getKey());
            assertTrue(error.getMessage().contains(e.getKey()), error.getMessage());
        }
    }

    @Test
    void dockerfileAddsTheJarToSparksJava17Image() throws Exception {
        List<String[]> instructions = dockerInstructions(K8S.resolve("Dockerfile"));
        assertEquals("FROM", instructions.get(0)[0]);
        assertEquals("apache/spark:" + pomProperty("spark.version") + "-java17", instructions.get(0)[1]);
        assertTrue(instructions.stream().anyMatch(i -> i[0].equals("COPY")
                && i[1].equals("jobs/target/averon.jar " + JAR)), "COPY of the fat jar to " + JAR);
        List<String[]> entrypoints = instructions.stream().filter(i -> i[0].equals("ENTRYPOINT")).toList();
        assertEquals(1, entrypoints.size());
        assertEquals("[\"/opt/entrypoint.sh\"]", entrypoints.get(0)[1], "Spark's entrypoint, exec form");
        String user = instructions.stream().filter(i -> i[0].equals("USER")).reduce((a, b) -> b).orElseThrow()[1];
        assertEquals("185", user, "pods run as Spark's unprivileged user");
        String ignore = Files.readString(K8S.resolve("Dockerfile.dockerignore"));
        assertTrue(ignore.contains("!jobs/target/averon.jar"), "the build context lets the jar through");
        assertTrue(Files.readString(K8S.resolve("submit.sh")).contains("local://" + JAR));
    }

    private static Container onlyContainer(Pod pod, String name) {
        assertEquals(1, pod.getSpec().getContainers().size());
        Container container = pod.getSpec().getContainers().get(0);
        assertEquals(name, container.getName());
        String role = name.endsWith("driver") ? "driver" : "executor";
        assertTrue(submitText().contains("spark.kubernetes." + role + ".podTemplateContainerName=" + name),
                "submit.sh names the template's container");
        return container;
    }

    /** The size of the memory-backed volume mounted at /dev/shm. */
    private static long shm(Pod pod, Container container) {
        String volumeName = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/dev/shm"))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at /dev/shm")).getName();
        Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(volumeName)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + volumeName));
        assertNotNull(volume.getEmptyDir(), "an emptyDir");
        assertEquals("Memory", volume.getEmptyDir().getMedium(), "tmpfs, as /dev/shm must be for Aeron");
        assertNotNull(volume.getEmptyDir().getSizeLimit(), "a sizeLimit");
        return Quantity.getAmountInBytes(volume.getEmptyDir().getSizeLimit()).longValueExact();
    }

    private static List<String> ports(Container container) {
        return container.getPorts().stream().map(p -> p.getContainerPort() + "/" + p.getProtocol()).toList();
    }

    private static String submitText() {
        try {
            return Files.readString(K8S.resolve("submit.sh"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String submitConf(String key) {
        Matcher m = Pattern.compile("--conf " + Pattern.quote(key) + "=(\\S+)").matcher(submitText());
        assertTrue(m.find(), key + " in submit.sh");
        return m.group(1);
    }

    /** Spark's JVM memory strings (2g, 512m) in bytes. */
    private static long bytes(String jvmSize) {
        long unit = switch (Character.toLowerCase(jvmSize.charAt(jvmSize.length() - 1))) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1L << 20;
        };
        String digits = jvmSize.replaceAll("[^0-9]", "");
        return Long.parseLong(digits) * unit;
    }

    private static String pomProperty(String name) throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile());
        return pom.getElementsByTagName(name).item(0).getTextContent().trim();
    }

    /** Instructions as [keyword, arguments], comments dropped and continuation lines joined. */
    private static List<String[]> dockerInstructions(Path dockerfile) throws IOException {
        List<String[]> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            String trimmed = line.trim();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String[] parts = current.toString().split("\\s+", 2);
            result.add(new String[] {parts[0].toUpperCase(), parts.length > 1 ? parts[1].trim() : ""});
            current.setLength(0);
        }
        Set<String> known = new HashSet<>(List.of("FROM", "USER", "ENV", "COPY", "WORKDIR", "ENTRYPOINT", "RUN",
                "ARG", "LABEL"));
        result.forEach(i -> assertTrue(known.contains(i[0]), "unexpected instruction " + i[0]));
        return result;
    }
}
