package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs deploy/fetch-fashion-mnist.sh for real: against the installed package, and against a local HTTP mirror that
 * serves byte-exact copies of the officially published files, so the published MD5s are checked on real bytes.
 */
class FetchFashionMnistScriptTest {
    private static final Path SCRIPT = Path.of(System.getProperty("basedir", "."))
            .resolve("../deploy/fetch-fashion-mnist.sh").toAbsolutePath().normalize();

    /** Published MD5 of each file (Zalando's README), as the script checks them. */
    private static final Map<String, String> PUBLISHED_MD5 = Map.of(
            "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310");

    /**
     * Modification times stored in the published gzip headers. Debian's build drops the stored file name and
     * resets this time, and nothing else: restoring both gives back the published bytes (their MD5s prove it).
     */
    private static final Map<String, Integer> PUBLISHED_MTIME = Map.of(
            "train-images-idx3-ubyte.gz", 1504176606,
            "train-labels-idx1-ubyte.gz", 1504176606,
            "t10k-images-idx3-ubyte.gz", 1504176627,
            "t10k-labels-idx1-ubyte.gz", 1504176627);

    @TempDir
    Path dir;

    private HttpServer mirror;

    @AfterEach
    void stopMirror() {
        if (mirror != null) {
            mirror.stop(0);
        }
    }

    @Test
    void reportsTheInstalledPackageAndPrintsItsDirectoryLast() throws Exception {
        IdxFixture.realFashionMnist();
        Run run = run(Map.of("AVERON_CACHE", dir.resolve("cache").toString()));

        assertEquals(0, run.exitCode, run.toString());
        assertEquals(FashionMnist.DEFAULT_DIRECTORY, run.lastLine(), run.toString());
        assertTrue(run.stderr.contains("already present and intact in " + FashionMnist.DEFAULT_DIRECTORY), run.stderr);
        assertFalse(Files.exists(dir.resolve("cache")), "nothing should be downloaded");
    }

    @Test
    void downloadsVerifiesAndRenamesIntoTheCache() throws Exception {
        Map<String, byte[]> published = publishedFiles();
        serve(published);
        Path cache = dir.resolve("cache");
        Run run = run(Map.of("AVERON_CACHE", cache.toString(),
                "FASHION_MNIST_SYSTEM_DIR", dir.resolve("no-package").toString(),
                "FASHION_MNIST_URL", mirrorUrl()));

        Path target = cache.resolve("fashion-mnist");
        assertEquals(0, run.exitCode, run.toString());
        assertEquals(target.toString(), run.lastLine(), run.toString());
        for (Map.Entry<String, byte[]> file : published.entrySet()) {
            assertArrayEquals(file.getValue(), Files.readAllBytes(target.resolve(file.getKey())), file.getKey());
            assertTrue(run.stderr.contains(file.getKey() + ": downloaded " + file.getValue().length + " bytes, md5 "
                    + PUBLISHED_MD5.get(file.getKey()) + " verified"), run.stderr);
        }
        assertEquals(List.of(), leftovers(target));

        FashionMnist found = FashionMnist.locate(dir.resolve("no-package").toString(), target.toString(),
                HadoopSettings.none());
        assertEquals(60_000, found.train().size());
        assertEquals(10_000, found.test().size());
    }

    @Test
    void checksumMismatchDeletesTheDownloadAndFails() throws Exception {
        Map<String, byte[]> files = publishedFiles();
        byte[] damaged = files.get("t10k-labels-idx1-ubyte.gz").clone();
        damaged[100] ^= 1;
        files.put("t10k-labels-idx1-ubyte.gz", damaged);
        serve(files);
        Path cache = dir.resolve("cache");
        Run run = run(Map.of("AVERON_CACHE", cache.toString(),
                "FASHION_MNIST_SYSTEM_DIR", dir.resolve("no-package").toString(),
                "FASHION_MNIST_URL", mirrorUrl()));

        Path target = cache.resolve("fashion-mnist");
        assertEquals(1, run.exitCode, run.toString());
        assertTrue(run.stderr.contains("ERROR: t10k-labels-idx1-ubyte.gz from " + mirrorUrl() + " has md5 "
                + md5(damaged) + ", expected bb300cfdad3c16e7a12a480ee83cd310; deleted it"), run.stderr);
        assertFalse(Files.exists(target.resolve("t10k-labels-idx1-ubyte.gz")));
        assertEquals(List.of(), leftovers(target));
    }

    /** The four files as published, rebuilt from the Debian package's copies. */
    private static Map<String, byte[]> publishedFiles() throws IOException {
        Path installed = Path.of(FashionMnist.DEFAULT_DIRECTORY);
        IdxFixture.realFashionMnist();
        Map<String, byte[]> files = new HashMap<>();
        for (String name : PUBLISHED_MD5.keySet()) {
            byte[] debian = Files.readAllBytes(installed.resolve(name));
            byte[] published = withStoredName(debian, name.substring(0, name.length() - 3),
                    PUBLISHED_MTIME.get(name));
            assertEquals(PUBLISHED_MD5.get(name), md5(published),
                    name + " rebuilt from the Debian copy no longer matches the published MD5");
            files.put(name, published);
        }
        return files;
    }

    /** Sets FNAME and MTIME in a gzip member header that has neither flag set; the deflate data stays as is. */
    private static byte[] withStoredName(byte[] gzip, String name, int mtime) {
        assertEquals(0, gzip[3], "expected a gzip header without optional fields");
        byte[] stored = (name + '\0').getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(gzip.length + stored.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(gzip, 0, 3).put((byte) 0x08).putInt(mtime).put(gzip, 8, 2).put(stored).put(gzip, 10, gzip.length - 10);
        return out.array();
    }

    private void serve(Map<String, byte[]> files) throws IOException {
        mirror = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        mirror.createContext("/", exchange -> {
            byte[] body = files.get(exchange.getRequestURI().getPath().substring(1));
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        mirror.start();
    }

    private String mirrorUrl() {
        return "http://127.0.0.1:" + mirror.getAddress().getPort();
    }

    private Run run(Map<String, String> env) throws IOException, InterruptedException {
        Path stderr = dir.resolve("stderr.txt");
        ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString())
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        Process process = builder.start();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        process.getInputStream().transferTo(stdout);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "script did not finish");
        return new Run(process.exitValue(), stdout.toString(StandardCharsets.UTF_8), Files.readString(stderr));
    }

    private static List<String> leftovers(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    private static String md5(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Run(int exitCode, String stdout, String stderr) {
        String lastLine() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1];
        }
    }
}
