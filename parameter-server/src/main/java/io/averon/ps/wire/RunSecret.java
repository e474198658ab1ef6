package io.averon.ps.wire;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * The keys a run derives from its job token, which itself never travels: a registration key under which a REGISTER
 * proves its sender holds the token, a session key per registration from both sides' nonces (so a recorded frame of
 * one session is worthless in another, and the session key in the clear header authenticates nothing by itself),
 * and a key per server run for the PARAMS it sends every member. Each key is HMAC-SHA256 of a distinct label under
 * a run key that is itself HMAC-SHA256 of a fixed label under the token, so keys for different purposes never
 * coincide. Deriving allocates; it happens once per registration, not per frame.
 */
public final class RunSecret
{
    /** Bytes of a nonce on the wire. */
    public static final int NONCE_LENGTH = 16;

    private static final byte[] RUN_LABEL = "averon wire v2 run".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REGISTER_LABEL = "register".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SESSION_LABEL = "session".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PARAMS_LABEL = "params".getBytes(StandardCharsets.US_ASCII);

    private final byte[] runKey;

    /**
     * @param token the job's secret, as configured on the driver and the workers.
     */
    public RunSecret(final String token)
    {
        if (token == null || token.isEmpty())
        {
            throw new IllegalArgumentException("token must not be empty");
        }
        this.runKey = hmac(token.getBytes(StandardCharsets.UTF_8), RUN_LABEL);
    }

    /** @return a MAC under the registration key: REGISTER proofs and refusals of registrations. */
    public FrameMac registrationMac()
    {
        return new FrameMac(hmac(runKey, REGISTER_LABEL));
    }

    /**
     * @param workerId    the registering worker.
     * @param clientNonce from its REGISTER.
     * @param serverNonce from the WELCOME that answers it.
     * @return a MAC under the session's key: every frame of the session but PARAMS.
     */
    public FrameMac sessionMac(final int workerId, final byte[] clientNonce, final byte[] serverNonce)
    {
        final ByteBuffer input = ByteBuffer.allocate(SESSION_LABEL.length + Integer.BYTES + 2 * NONCE_LENGTH)
            .order(ByteOrder.LITTLE_ENDIAN)
            .put(SESSION_LABEL)
            .putInt(workerId)
            .put(clientNonce, 0, NONCE_LENGTH)
            .put(serverNonce, 0, NONCE_LENGTH);
        return new FrameMac(hmac(runKey, input.array()));
    }

    /**
     * @param paramsNonce chosen by the server when it starts, announced in every WELCOME.
     * @return a MAC under the key of that server run's PARAMS.
     */
    public FrameMac paramsMac(final byte[] paramsNonce)
    {
        final byte[] input = new byte[PARAMS_LABEL.length + NONCE_LENGTH];
        System.arraycopy(PARAMS_LABEL, 0, input, 0, PARAMS_LABEL.length);
        System.arraycopy(paramsNonce, 0, input, PARAMS_LABEL.length, NONCE_LENGTH);
        return new FrameMac(hmac(runKey, input));
    }

    /**
     * @param random source of randomness.
     * @return a fresh nonce.
     */
    public static byte[] newNonce(final SecureRandom random)
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        return nonce;
    }

    /** HMAC-SHA256 of {@code message} under {@code key}: every key Averon derives is one. */
    static byte[] hmac(final byte[] key, final byte[] message)
    {
        try
        {
            final Mac mac = Mac.getInstance(FrameMac.ALGORITHM);
            mac.init(new SecretKeySpec(key, FrameMac.ALGORITHM));
            return mac.doFinal(message);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(FrameMac.ALGORITHM + " is not available in this JVM", ex);
        }
    }
}
