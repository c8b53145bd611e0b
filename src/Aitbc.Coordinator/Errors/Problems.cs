using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;

namespace Aitbc.Coordinator.Errors;

/// <summary>
/// RFC 9457 problem details with the machine-readable <c>code</c> every error of this API carries. Handlers return
/// these; nothing throws for an expected outcome.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult Create(
        int status, string code, string detail, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                extensions[key] = value;
            }
        }

        return TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: ReasonPhrases.GetReasonPhrase(status),
            type: TypeFor(code),
            extensions: extensions);
    }

    public static string TypeFor(string code) => $"urn:aitbc:problem:{code}";

    public static ProblemHttpResult BadRequest(string code, string detail) => Create(400, code, detail);

    public static ProblemHttpResult Validation(IReadOnlyDictionary<string, string[]> errors)
    {
        var first = errors.First();
        var detail = errors.Count == 1
            ? $"{first.Key}: {first.Value[0]}"
            : $"{errors.Count} fields are invalid; the first is {first.Key}: {first.Value[0]}";
        return Create(400, "validation_failed", detail, new Dictionary<string, object?> { ["errors"] = errors });
    }

    public static ProblemHttpResult NotFound(string code, string detail) => Create(404, code, detail);

    public static ProblemHttpResult Conflict(string code, string detail) => Create(409, code, detail);

    public static ProblemHttpResult TooLarge(string code, string detail) => Create(413, code, detail);
}

/// <summary>Collects field errors of one request, keyed by the JSON path a client sent.</summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
    }

    /// <summary>The largest page a list answers, whatever its default page.</summary>
    public const int MaxPageSize = 200;

    /// <summary>An optional page size, the <c>limit</c> parameter, is from 1 to <see cref="MaxPageSize"/>.</summary>
    public void PageSize(int? limit)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            Add("limit", $"Must be from 1 to {MaxPageSize}.");
        }
    }

    /// <summary>
    /// Decodes an optional page cursor with <paramref name="decode"/>; a cursor that does not decode is an error of
    /// the <c>cursor</c> field.
    /// </summary>
    public T? Cursor<T>(string? cursor, Func<string, T?> decode)
        where T : struct
    {
        if (cursor is null)
        {
            return null;
        }

        var decoded = decode(cursor);
        if (decoded is null)
        {
            Add("cursor", "Not a cursor this API gave out.");
        }

        return decoded;
    }

    public ProblemHttpResult ToProblem() => Problems.Validation(_errors);
}
