/** Why a call ended, in words for the person reading it (the caller or the Helper). */

/**
 * @param {object} call the call view (`state: "ended"`)
 * @param {object} who `{role: "caller"|"helper", peerName, iEnded, iWasAway}`: whether this
 *   side ended it, and whether this side had lost its connection
 * @returns {{title: string, text: string, callAgain: boolean}}
 */
export function describeEnd(call, { role, peerName, iEnded = false, iWasAway = false }) {
  const other = peerName || (role === "caller" ? "The Helper" : "The caller");
  const caller = role === "caller";
  const limit = call.plan === "free" ? 20 : null;
  switch (call.end_reason) {
    case "cancelled":
      return caller
        ? { title: "Call cancelled", text: `You hung up before ${other} answered.`, callAgain: true }
        : { title: "Call cancelled", text: `${other} hung up before you answered.`, callAgain: false };
    case "declined":
      return caller
        ? {
          title: `${other} can't talk right now`,
          text: `${other} declined the call. Try again a little later, or find another Helper.`,
          callAgain: true,
        }
        : { title: "Call declined", text: `You declined the call from ${other}.`, callAgain: false };
    case "missed":
      return caller
        ? {
          title: "No answer",
          text: `${other} didn't answer within 45 seconds. They may have stepped away; try again soon.`,
          callAgain: true,
        }
        : { title: "Missed call", text: `You missed a call from ${other}.`, callAgain: false };
    case "no_agreement":
      if (limit !== null && Number(call.minutes_used) >= limit) {
        return {
          title: "Time's up",
          text: `This call used all ${limit} minutes the Helper's free plan allows for one call.`,
          callAgain: caller,
        };
      }
      return call.extension
        ? {
          title: "Session over",
          text: "No extension was agreed within the five minutes, so the call ended.",
          callAgain: caller,
        }
        : {
          title: "No agreement",
          text: "The five minutes to agree on a price and length ran out, so the call ended. "
            + "Nobody was charged.",
          callAgain: caller,
        };
    case "payment_timeout":
      return {
        title: "Payment not completed",
        text: "The payment wasn't completed within 10 minutes, so the call ended. Nobody was charged.",
        callAgain: caller,
      };
    case "hung_up":
      return iEnded
        ? { title: "Call ended", text: "You ended the call.", callAgain: false }
        : { title: "Call ended", text: `${other} ended the call.`, callAgain: false };
    case "abandoned":
      return {
        title: "Connection lost",
        text: iWasAway
          ? "This browser lost its connection to the call for over a minute, so the call ended."
          : `${other} lost their connection for over a minute, so the call ended.`,
        callAgain: caller,
      };
    default:
      return { title: "Call ended", text: "The call has ended.", callAgain: false };
  }
}
