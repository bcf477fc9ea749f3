/** What a client may send to a room: one chat line, validated with class-validator. */
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MAX_MESSAGE_LENGTH } from './protocol';

/**
 * `{"message": text}`: trimmed, not empty, at most MAX_MESSAGE_LENGTH
 * characters. Other fields are stripped by the consumer's validation.
 */
export class ChatMessageDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString({ message: 'message must be text' })
  @IsNotEmpty({ message: 'message is empty' })
  @MaxLength(MAX_MESSAGE_LENGTH, { message: `message is longer than ${MAX_MESSAGE_LENGTH} characters` })
  message!: string;
}
