package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Headers;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;
import okio.Buffer;

/**
 * The fabric8 mock API server's CRUD mode with server-side apply. Spark 3.5.5 creates the driver pod with a POST, but
 * the driver's config maps and service with {@code PATCH ...?fieldManager=fabric8&force=true} and content type
 * {@code application/apply-patch+yaml}, which the mock answers with 415. An apply of an object that does not exist
 * yet is turned into its create (a POST on the collection), one of an existing object into a JSON merge patch: for
 * the whole objects Spark applies, both leave what a real API server would. Applied paths are kept for the test.
 */
final class ServerSideApplyDispatcher extends KubernetesCrudDispatcher {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<String> applied = new CopyOnWriteArrayList<>();

    /** Paths (without query) that received a server-side apply, in order. */
    List<String> appliedPaths() {
        return List.copyOf(applied);
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
        String contentType = request.getHeader("Content-Type");
        if (contentType == null || !contentType.startsWith("application/apply-patch")) {
            return super.handlePatch(request);
        }
        String path = request.getPath().split("\\?", 2)[0];
        applied.add(path);
        String body = asJson(request.getBody().readUtf8());
        if (findResource(getKey(path)) == null) {
            String collection = path.substring(0, path.lastIndexOf('/'));
            return handleCreate(rewritten(request, "POST", collection, "application/json", body));
        }
        return super.handlePatch(rewritten(request, "PATCH", path, "application/merge-patch+json", body));
    }

    private static String asJson(String applyBody) {
        try {
            // An apply body is YAML; fabric8 sends JSON, which is YAML too.
            JsonNode tree = YAML.readTree(applyBody);
            return JSON.writeValueAsString(tree);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable server-side apply body: " + applyBody, e);
        }
    }

    private static RecordedRequest rewritten(RecordedRequest original, String method, String path, String contentType,
                                             String body) {
        Buffer buffer = new Buffer().writeUtf8(body);
        Headers headers = original.getHeaders().newBuilder().set("Content-Type", contentType)
                .set("Content-Length", String.valueOf(buffer.size())).build();
        InetAddress address = InetAddress.getLoopbackAddress();
        int port = original.getRequestUrl() == null ? 80 : original.getRequestUrl().port();
        // RecordedRequest derives its URL from the socket's local address; this one stands for the original's.
        Socket socket = new Socket() {
            @Override
            public InetAddress getLocalAddress() {
                return address;
            }

            @Override
            public int getLocalPort() {
                return port;
            }
        };
        return new RecordedRequest(method + " " + path + " HTTP/1.1", headers, List.of(), buffer.size(), buffer,
                original.getSequenceNumber(), socket);
    }
}
