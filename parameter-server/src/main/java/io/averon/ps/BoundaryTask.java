package io.averon.ps;

import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * Work handed from any thread to the agent thread, to run between two steps against the authoritative parameters
 * (consistent checkpoints). The caller waits on {@link #result}.
 */
final class BoundaryTask<T>
{
    final CompletableFuture<T> result = new CompletableFuture<>();
    private final BiFunction<float[], Long, T> action;

    BoundaryTask(final BiFunction<float[], Long, T> action)
    {
        this.action = action;
    }

    void run(final float[] parameters, final long step)
    {
        try
        {
            result.complete(action.apply(parameters, step));
        }
        catch (final Throwable ex)
        {
            result.completeExceptionally(ex);
        }
    }

    void fail(final Throwable cause)
    {
        result.completeExceptionally(cause);
    }
}
