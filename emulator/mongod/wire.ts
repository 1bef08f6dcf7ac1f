import { deserialize, serialize, type Document } from 'bson'

/** MongoDB wire protocol opcodes the emulator speaks. */
export const OP_REPLY = 1
export const OP_QUERY = 2004
export const OP_MSG = 2013

const HEADER_BYTES = 16
const CHECKSUM_PRESENT = 1
const MORE_TO_COME = 2

export interface WireCommand {
  opCode: typeof OP_QUERY | typeof OP_MSG
  requestId: number
  /** The command document (OP_MSG kind-1 sections merged in as arrays). */
  body: Document
  /** Database the command runs against ($db of OP_MSG, or the OP_QUERY namespace). */
  db: string
  /** The client sent moreToCome: it expects no reply. */
  noReply: boolean
}

/** Splits complete messages off the front of `buffer`; returns them and what is left. */
export function takeMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = []
  let offset = 0
  while (buffer.length - offset >= 4) {
    const length = buffer.readInt32LE(offset)
    if (length < HEADER_BYTES) throw new Error(`bad message length ${length}`)
    if (buffer.length - offset < length) break
    messages.push(buffer.subarray(offset, offset + length))
    offset += length
  }
  return { messages, rest: buffer.subarray(offset) }
}

/** Decodes an OP_MSG or OP_QUERY message; other opcodes throw. */
export function parseCommand(message: Buffer): WireCommand {
  const requestId = message.readInt32LE(4)
  const opCode = message.readInt32LE(12)
  if (opCode === OP_MSG) return parseOpMsg(message, requestId)
  if (opCode === OP_QUERY) return parseOpQuery(message, requestId)
  throw new Error(`unsupported opcode ${opCode}`)
}

function parseOpMsg(message: Buffer, requestId: number): WireCommand {
  const flags = message.readUInt32LE(HEADER_BYTES)
  const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0)
  let offset = HEADER_BYTES + 4
  let body: Document | undefined
  const sequences: Record<string, Document[]> = {}
  while (offset < end) {
    const kind = message.readUInt8(offset)
    offset += 1
    if (kind === 0) {
      const size = message.readInt32LE(offset)
      body = deserialize(message.subarray(offset, offset + size))
      offset += size
    } else if (kind === 1) {
      const size = message.readInt32LE(offset)
      const sectionEnd = offset + size
      const nameEnd = message.indexOf(0, offset + 4)
      const name = message.toString('utf8', offset + 4, nameEnd)
      let docOffset = nameEnd + 1
      const docs: Document[] = []
      while (docOffset < sectionEnd) {
        const docSize = message.readInt32LE(docOffset)
        docs.push(deserialize(message.subarray(docOffset, docOffset + docSize)))
        docOffset += docSize
      }
      sequences[name] = docs
      offset = sectionEnd
    } else {
      throw new Error(`unknown OP_MSG section kind ${kind}`)
    }
  }
  if (!body) throw new Error('OP_MSG without a body section')
  const merged = { ...body, ...sequences }
  return {
    opCode: OP_MSG,
    requestId,
    body: merged,
    db: typeof body.$db === 'string' ? body.$db : 'admin',
    noReply: (flags & MORE_TO_COME) !== 0
  }
}

function parseOpQuery(message: Buffer, requestId: number): WireCommand {
  let offset = HEADER_BYTES + 4 // flags
  const nameEnd = message.indexOf(0, offset)
  const namespace = message.toString('utf8', offset, nameEnd)
  offset = nameEnd + 1 + 8 // numberToSkip, numberToReturn
  const size = message.readInt32LE(offset)
  const query = deserialize(message.subarray(offset, offset + size))
  // Legacy drivers may wrap the command with read preference: {$query: {...}, $readPreference}.
  const wrapped: unknown = query.$query
  const body = typeof wrapped === 'object' && wrapped !== null ? wrapped : query
  return {
    opCode: OP_QUERY,
    requestId,
    body,
    db: namespace.split('.')[0] ?? 'admin',
    noReply: false
  }
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const head = Buffer.alloc(HEADER_BYTES)
  head.writeInt32LE(length, 0)
  head.writeInt32LE(requestId, 4)
  head.writeInt32LE(responseTo, 8)
  head.writeInt32LE(opCode, 12)
  return head
}

/** The reply to `command` in the opcode it came with: OP_MSG for OP_MSG, OP_REPLY for OP_QUERY. */
export function encodeReply(command: WireCommand, requestId: number, reply: Document): Buffer {
  const doc = serialize(reply)
  if (command.opCode === OP_MSG) {
    const flagsAndKind = Buffer.alloc(5) // flagBits 0, section kind 0
    const length = HEADER_BYTES + flagsAndKind.length + doc.length
    return Buffer.concat([header(length, requestId, command.requestId, OP_MSG), flagsAndKind, doc])
  }
  // OP_REPLY: responseFlags, cursorID (int64), startingFrom, numberReturned.
  const fields = Buffer.alloc(20)
  fields.writeInt32LE(1, 16)
  const length = HEADER_BYTES + fields.length + doc.length
  return Buffer.concat([header(length, requestId, command.requestId, OP_REPLY), fields, doc])
}
