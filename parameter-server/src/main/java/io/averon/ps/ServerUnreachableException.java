package io.averon.ps;

/**
 * A worker's media driver never heard back from the server's endpoint within the connect timeout: nothing listens at
 * the advertised address and port as the worker's host sees it (a wrong ps.advertised-host, a closed UDP port, a
 * stopped driver). Apart from other {@link ParameterServerException}s so that a caller can tell "never connected"
 * from a connection that broke later.
 */
public class ServerUnreachableException extends ParameterServerException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message the endpoint, the wait and the settings to check.
     */
    public ServerUnreachableException(final String message)
    {
        super(message);
    }
}
