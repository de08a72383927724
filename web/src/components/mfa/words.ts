// What to say when a step of two-step sign-in is refused: the server's codes
// for a wrong code, a wrong password or a sign-in that ran out, in words that
// say what to do next. Anything else is said as everywhere else.

import { ApiError } from "../../api/client";
import { describeError } from "../../lib/errors";

/** The sign-in's second step ran out (too slow, too many wrong codes, or already finished). */
export const CHALLENGE_ENDED =
  "That sign-in ran out: it took too long, or too many codes were wrong. Enter your password again to start over.";

/** A sentence for an error of a two-step sign-in request; `recovery` says a recovery code was typed. */
export function describeMfaError(error: unknown, recovery = false): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case "invalid_mfa_code":
        return recovery
          ? "That recovery code didn't work. Check it for typos; each recovery code works only once."
          : "That code didn't work. Type the 6-digit code your authenticator app shows now; each code works only once.";
      case "invalid_credentials":
        return "That password isn't right.";
      case "mfa_challenge_invalid":
        return CHALLENGE_ENDED;
      case "mfa_enrollment_required":
        return "Your account needs two-step sign-in: set it up first.";
    }
  }
  return describeError(error);
}
