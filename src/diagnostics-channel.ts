/**
 * Publishing on `node:diagnostics_channel`, as every layer does (`SESSION_CHANNELS`,
 * `REDIS_CHANNELS`, `TLS_CHANNELS`): one function per channel, typed by its message,
 * that publishes nothing when no one subscribes.
 */
import { channel } from 'node:diagnostics_channel';

/** The function that publishes `message` on the channel named `name`. */
export function publisher<Message>(name: string): (message: Message) => void {
  const target = channel(name);
  return (message) => {
    if (target.hasSubscribers) target.publish(message);
  };
}
