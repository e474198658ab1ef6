package io.averon.worker;

import org.deeplearning4j.nn.api.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * Identifies a network's architecture by its layers' types and parameter shapes, so that a checkpoint or saved model
 * is never loaded into a different network. Hyper-parameters (learning rate, seed) deliberately do not count: resuming
 * with a changed learning rate is legitimate, resuming LeNet weights into another net is not.
 */
public final class ModelFingerprint {
    private ModelFingerprint() {
    }

    /** A readable description plus a short hash, e.g. {@code "431080 params, sha256:1a2b3c4d5e6f"}. */
    public static String of(Network net) {
        StringBuilder text = new StringBuilder();
        for (Layer layer : net.layers()) {
            text.append(layer.conf().getLayer().getClass().getSimpleName()).append('(');
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                text.append(p.getKey()).append(Arrays.toString(p.getValue().shape())).append(';');
            }
            text.append(')');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return net.parameterCount() + " params, sha256:" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
