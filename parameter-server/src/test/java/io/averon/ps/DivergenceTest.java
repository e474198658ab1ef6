package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;

import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 item 6: steps without a finite update (the rule made the parameters NaN, or every gradient was
 * non-finite) are counted, a finite one resets the count, and maxNonFiniteSteps in a row stop the server with an
 * error naming the step, which reaches the workers and {@link ParameterServer#failure()}.
 */
@Timeout(60)
class DivergenceTest
{
    private static final int PARAMETERS = 4;

    @Test
    void consecutiveNonFiniteStepsStopTheServerNamingTheStep()
    {
        // Plain SGD, except that the updates of steps 1 and 2 turn the parameters into NaN.
        final UpdateRule rule = (parameters, mean, globalBatchSize, step) ->
        {
            for (int i = 0; i < parameters.length; i++)
            {
                parameters[i] = step == 1 || step == 2 ? Float.NaN : parameters[i] - mean[i];
            }
        };
        final float[] finite = { 1, 1, 1, 1 };
        final float[] nan = new float[PARAMETERS];
        Arrays.fill(nan, Float.NaN);

        try (ParameterServer server = ParameterServer.start(
                serverConfig().maxNonFiniteSteps(3).build(), new float[PARAMETERS], 0, rule);
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            assertEquals(1, client.exchange(nan, 1, 1.0));       // step 0: every gradient non-finite
            assertEquals(2, client.exchange(finite, 1, 1.0));    // step 1: the update made the parameters NaN
            assertEquals(2, server.stats().nonFiniteSteps());
            assertNull(server.failure());
            // Step 2 is the third in a row: the server stops and tells its member why.
            final ParameterServerException ex = assertThrows(ParameterServerException.class,
                () -> client.exchange(finite, 1, 1.0));
            assertTrue(ex.getMessage().contains("training diverged at step 2"), ex.getMessage());
            assertTrue(ex.getMessage().contains("SERVER_FAILED"), ex.getMessage());

            final DivergenceException failure = assertInstanceOf(DivergenceException.class, server.failure());
            assertEquals(2, failure.step());
            assertEquals(3, failure.nonFiniteSteps());
            assertTrue(failure.getMessage().contains("the update made the parameters non-finite"),
                failure.getMessage());
            assertEquals(3, server.stats().nonFiniteSteps());
            assertThrows(ParameterServerException.class, () -> server.atStepBoundary((p, s) -> s));
        }
    }

    @Test
    void aFiniteStepResetsTheCount()
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[] finite = { 1, 1, 1, 1 };
        final float[] nan = new float[PARAMETERS];
        Arrays.fill(nan, Float.NaN);

        try (ParameterServer server = ParameterServer.start(
                serverConfig().maxNonFiniteSteps(2).build(), new float[PARAMETERS], 0, rule);
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            assertEquals(1, client.exchange(nan, 1, 1.0));
            assertEquals(2, client.exchange(finite, 1, 1.0));
            assertEquals(3, client.exchange(nan, 1, 1.0));
            assertEquals(4, client.exchange(finite, 1, 1.0));
            assertNull(server.failure());
            assertEquals(2, server.stats().nonFiniteSteps());
            assertEquals(2, rule.means.size());
        }
    }
}
