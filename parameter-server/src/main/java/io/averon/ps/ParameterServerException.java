package io.averon.ps;

/**
 * Raised when the parameter server or its client cannot do what was asked: no answer from the server within the
 * configured time, a refused token, a server that stopped serving, a transport that broke. The message names the
 * endpoint, the worker and the numbers involved so that an operator can act on it without a debugger.
 */
public class ParameterServerException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, with the endpoint and numbers involved.
     */
    public ParameterServerException(final String message)
    {
        super(message);
    }

    /**
     * @param message what failed, with the endpoint and numbers involved.
     * @param cause   underlying failure.
     */
    public ParameterServerException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
