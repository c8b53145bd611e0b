namespace Aitbc.Client;

/// <summary>
/// The Coordinator answered with an RFC 9457 problem. <see cref="Code"/> is the machine-readable reason
/// (<c>job_not_found</c>, <c>lease_expired</c>…); <see cref="Detail"/> is the server's sentence for a person.
/// </summary>
public class AitbcApiException(int status, string code, string detail)
    : Exception($"{detail} ({code}, HTTP {status})")
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public string Detail { get; } = detail;

    public bool IsServerError => Status >= 500;
}

/// <summary>400, 413 or 422: the request was wrong; <see cref="Errors"/> names the fields, if any.</summary>
public sealed class AitbcValidationException(
    int status, string code, string detail, IReadOnlyDictionary<string, string[]> errors)
    : AitbcApiException(status, code, detail)
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>401 (no or unknown key) or 403 (the key lacks the role).</summary>
public sealed class AitbcAuthException(int status, string code, string detail)
    : AitbcApiException(status, code, detail);

/// <summary>404: no such object, or not the caller's.</summary>
public sealed class AitbcNotFoundException(int status, string code, string detail)
    : AitbcApiException(status, code, detail);

/// <summary>409: the object's state forbids the call (<c>job_finished</c>, <c>lease_expired</c>…).</summary>
public sealed class AitbcConflictException(int status, string code, string detail)
    : AitbcApiException(status, code, detail);

/// <summary>The Coordinator could not be reached, or did not answer in time.</summary>
public sealed class AitbcNetworkException(string message, Exception? inner) : Exception(message, inner);

/// <summary>The Coordinator answered with something this client cannot read: a version mismatch or a proxy.</summary>
public sealed class AitbcProtocolException(string message) : Exception(message);
