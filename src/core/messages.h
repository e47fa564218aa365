/* messages.h: the texts a client sees, each defined once.
 *
 * The real API's messages must match it to the byte (clients compare
 * them; /work/shared/api-facts.md and README's API table list them), so
 * each is written here and nowhere else. String literals, so they can be
 * pasted into larger literals at compile time. */
#ifndef UC_MESSAGES_H
#define UC_MESSAGES_H

/* ---- the real API's own texts ------------------------------------------- */
#define MSG_NO_AUTH "No auth provided"
#define MSG_BAD_KEY "Invalid API key."
#define MSG_NO_CREDITS "Insufficient credits — please top up your balance."
#define MSG_BANNED "Your IP address is banned. Contact the service administrator " \
                   "to unlock access."
#define MSG_BAD_EXTENSION "Invalid file extension."
#define MSG_ERROR_PROCESSING "Error processing file"
#define MSG_QUOTA "Storage quota exceeded, please delete old projects."
#define MSG_NO_TASK "Task does not exist or has not started"
#define MSG_STILL_PROCESSING "Task is still processing"
#define MSG_UPLOAD_OK "File upload successful. Processing started."
/* printf format; its one argument is the limit per minute (an int) */
#define MSG_RATE_LIMIT_FMT "Rate limit exceeded: %d per 1 minute"

/* ---- FastAPI / Starlette's framework answers ----------------------------- */
#define MSG_NOT_FOUND "Not Found"
#define MSG_METHOD_NOT_ALLOWED "Method Not Allowed"
#define MSG_INTERNAL "Internal Server Error"
#define MSG_BAD_BODY "There was an error parsing the body"

/* ---- pydantic v2 validation messages (the 422 list's "msg") --------------- */
#define MSG_FIELD_REQUIRED "Field required"
/* batch-check-emails' form: file given as text, project_name's 1..50
 * characters (http/v1.c's NAME_MAX_CHARS), deduplicate not a boolean */
#define MSG_NOT_UPLOAD_FILE "Value error, Expected UploadFile, received: <class 'str'>"
#define MSG_NAME_TOO_SHORT "String should have at least 1 character"
#define MSG_NAME_TOO_LONG "String should have at most 50 characters"
#define MSG_BOOL_PARSING "Input should be a valid boolean, unable to interpret input"

/* ---- the mock's own, on the same paths ---------------------------------- */
#define MSG_LINK_BAD_SIGNATURE "Invalid download link signature"
#define MSG_LINK_EXPIRED "Download link has expired"
#define MSG_NO_FAULT "Fault not found"
/* a control or check-email body past its cap (an upload has MSG_TOO_LARGE_FMT) */
#define MSG_BODY_TOO_LARGE "Request body too large"
/* an HTTP fault's answer when it names no body */
#define MSG_INJECTED_FAULT "Injected fault"
/* printf format; its one argument is the --max-upload limit as text
 * (config_format_size) */
#define MSG_TOO_LARGE_FMT "File too large: the limit is %s (--max-upload)"

#endif
