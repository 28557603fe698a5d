import { describe, expect, it } from 'vitest'
import { coerceFormParams, parseForm } from '../../../src/daemon/manager/form.js'

const params = (text: string) => ({ ...coerceFormParams(parseForm(text)) })

describe('parseForm: PHP http_build_query bodies', () => {
  it('reads plain fields, with + as a space and percent escapes', () => {
    expect({ ...parseForm('event=prize+drawn&info=%E4%B8%80%20%26') }).toEqual({ event: 'prize drawn', info: '一 &' })
  })

  it('builds lists and maps from name[] and name[key], nested', () => {
    const form = parseForm('b%5B%5D=2&b[]=3&c[x]=4&c[y][]=5&c[y][]=6')
    expect(JSON.parse(JSON.stringify(form))).toEqual({ b: ['2', '3'], c: { x: '4', y: ['5', '6'] } })
  })

  it('keeps names that are not of the bracket shape as they are, and drops fields nested too deep', () => {
    expect({ ...parseForm('x[=1&y]=2&[z]=3&a[b]c=4') }).toEqual({ 'x[': '1', 'y]': '2', '[z]': '3', 'a[b]c': '4' })
    expect({ ...parseForm('d[1][2][3][4][5][6][7][8][9]=deep&ok=1') }).toEqual({ ok: '1' })
  })

  it('cannot reach Object.prototype', () => {
    const form = parseForm('__proto__[polluted]=1&constructor[prototype][polluted]=1')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(form).sort()).toEqual(['__proto__', 'constructor'])
  })
})

describe('coerceFormParams', () => {
  it('makes fd, code, status, offset and limit numbers when numeric, and leaves other fields strings', () => {
    expect(params('fd=12&code=4001&status=201&offset=0&limit=20&uid=42&event=7')).toEqual({
      fd: 12,
      code: 4001,
      status: 201,
      offset: 0,
      limit: 20,
      uid: '42',
      event: '7',
    })
    expect(params('fd=abc').fd).toBe('abc')
  })

  it('JSON-decodes param when it is JSON, else keeps the string', () => {
    expect(params('param={"prize":1}').param).toEqual({ prize: 1 })
    expect(params('param=[1,2]').param).toEqual([1, 2])
    expect(params('param=hello world').param).toBe('hello world')
    expect(JSON.parse(JSON.stringify(params('param[prize]=1').param))).toEqual({ prize: '1' })
  })

  it('reads except as 1,2,3 or as repeated except[]', () => {
    expect(params('except=1,2,,3').except).toEqual([1, 2, 3])
    expect(params('except[]=4&except[]=5').except).toEqual([4, 5])
    expect(params('except=').except).toEqual([])
  })

  it('reads all=1 and all=true as true, and all=0/false as absent', () => {
    expect(params('all=1').all).toBe(true)
    expect(params('all=TRUE').all).toBe(true)
    expect('all' in params('all=0')).toBe(false)
    expect('all' in params('all=false')).toBe(false)
    expect(params('all=maybe').all).toBe('maybe')
  })

  it('reads presence as all is read', () => {
    expect(params('presence=1').presence).toBe(true)
    expect(params('presence=true').presence).toBe(true)
    expect('presence' in params('presence=0')).toBe(false)
  })
})
