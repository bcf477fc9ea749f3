/**
 * Turns a JSON payload into a validated DTO instance with class-transformer
 * and class-validator, flattening nested failures into dotted field paths.
 */
import { ValidationFailed, type ConstraintFailure } from '../errors';
import { requirePeer } from '../peer-dependency';
import type { DtoClass } from './decorators';
import { checkJsonLimits, JSON_LIMIT_DEFAULTS, type JsonLimits } from './json-limits';

/** The shape of a class-validator `ValidationError` that flattening reads. */
export interface ValidationErrorLike {
  property: string;
  constraints?: Record<string, string>;
  children?: readonly ValidationErrorLike[];
}

/** The two functions DTO validation uses, from the optional peers class-transformer and class-validator. */
interface DtoTools {
  plainToInstance(cls: DtoClass, plain: object): object;
  validate(instance: object, options: object): Promise<ValidationErrorLike[]>;
}

let tools: DtoTools | undefined;

/** Loaded on the first validation, so consumers without DTOs never need the packages. */
function dtoTools(): DtoTools {
  if (tools === undefined) {
    const feature = 'DTO validation (@Action or @DefaultAction with a DTO class, validateDto)';
    const install = 'class-validator class-transformer';
    const { plainToInstance } = requirePeer<Pick<DtoTools, 'plainToInstance'>>('class-transformer', feature, install);
    const { validate } = requirePeer<Pick<DtoTools, 'validate'>>('class-validator', feature, install);
    tools = { plainToInstance, validate };
  }
  return tools;
}

/** class-validator options used for every DTO: strip unknown fields, refuse unknown values. */
export const DTO_VALIDATOR_OPTIONS = { whitelist: true, forbidUnknownValues: true } as const;

/**
 * A validated instance of `dto` built from `payload`.
 * Throws ValidationFailed listing every failed constraint, and
 * JsonLimitExceeded (before any transformation) when `payload` crosses
 * `limits` (default JSON_LIMIT_DEFAULTS; null when the caller checked already).
 *
 * @example
 * const msg = await validateDto(ChatMessageDto, { message: ' hi ' });
 */
export async function validateDto<T extends object>(
  dto: DtoClass<T>,
  payload: unknown,
  limits: Readonly<JsonLimits> | null = JSON_LIMIT_DEFAULTS,
): Promise<T> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ValidationFailed([{ field: '', constraint: 'isObject', message: 'a JSON object is expected' }]);
  }
  const { plainToInstance, validate } = dtoTools();
  // class-transformer recurses and transforms every key, declared or not: bound the work first.
  if (limits !== null) checkJsonLimits(payload, limits);
  const instance = plainToInstance(dto, payload) as T;
  const errors = await validate(instance, DTO_VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new ValidationFailed(flattenValidationErrors(errors));
  return instance;
}

/** Flattens class-validator errors: one entry per failed constraint, nested fields dotted (`address.city`, `items.0.name`). */
export function flattenValidationErrors(errors: readonly ValidationErrorLike[], prefix = ''): ConstraintFailure[] {
  const out: ConstraintFailure[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) {
      for (const [constraint, message] of Object.entries(error.constraints)) out.push({ field, constraint, message });
    }
    if (error.children && error.children.length > 0) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}
