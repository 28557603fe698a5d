import type { App, SendOptions, Target } from 'mswoole'
import { phpEmpty } from './php.js'
import { LIVE_SETTINGS } from './settings.js'

/**
 * Every frame the Live module sends: the status and the info text, keyed by
 * event. Those of the seed's App/Live carry its status and its text exactly,
 * so a client written for the seed reads them unchanged; the rest are the
 * port's own (its limits, join checks and the walls' opt-in updates).
 */
export const LIVE_FRAMES = {
  // The seed's (App/Live/Controller/User.php and Wall.php).
  mustBeWechatUser: { status: 403, info: '仅允许微信用户连入' },
  mustBeWall: { status: 403, info: '仅允许大屏幕用户连入' },
  codeIsEmpty: { status: 999, info: 'code不能为空' },
  userJoinSuccess: { status: 200, info: '加入房间成功' },
  userOutSuccess: { status: 200, info: '退出房间成功' },
  userSayNeedCheck: { status: 200, info: '收到用户广播内容' },
  userSaySuccess: { status: 200, info: '发布聊天内容成功，等待审核' },
  wallSayHistory: { status: 200, info: '获取历史成功' },
  userSayHistory: { status: 200, info: '获取消息历史成功' },
  typeError: { status: 401, info: '类型错误' },
  wallJoinSuccess: { status: 200, info: '加入房间成功' },
  wallOutSuccess: { status: 200, info: '退出房间成功' },
  insertDbError: { status: 501, info: '保存数据至数据库失败' },
  wallSaySuccess: { status: 200, info: '广播成功' },
  wallSayBroadcast: { status: 200, info: '收到大屏幕广播内容' },
  wallRecallFail: { status: 403, info: '撤回广播失败' },
  wallSayRecall: { status: 200, info: '撤回一条大屏幕消息' },
  wallRecallSuccess: { status: 200, info: '撤回广播成功' },
  userSayBroadcast: { status: 200, info: '用户消息审核通过' },
  wallCheckSuccess: { status: 200, info: '审核消息成功' },
  // The port's: the seed had no such check or limit.
  notJoined: { status: 403, info: '请先加入房间' },
  badRequest: { status: 400, info: 'id不能为空' },
  messageEmpty: { status: 400, info: '内容不能为空' },
  messageTooLong: { status: 400, info: `内容不能超过${LIVE_SETTINGS.maxSayLength}个字` },
  tooManyMessages: { status: 429, info: '发言太频繁，请稍后再试' },
  tooManyPending: { status: 429, info: '待审核消息过多，请稍后再试' },
  // The port's: sent only to walls that joined with {"extras": true}.
  userCount: { status: 200, info: '房间人数' },
  userSayChecked: { status: 200, info: '其他大屏幕已审核消息' },
  wallCleanSuccess: { status: 200, info: '清空待审核消息成功' },
  userSayCleaned: { status: 200, info: '其他大屏幕已清空待审核消息' },
} as const satisfies Record<string, { status: number; info: string }>

export type LiveEvent = keyof typeof LIVE_FRAMES

/**
 * Sends `event` with its status and text. As the seed's App::sendMessage, a
 * param PHP's empty() calls empty (null, 0, "0", "", false, [], {}) is left out.
 */
export function send(app: App, target: Target, event: LiveEvent, param?: unknown, options?: SendOptions): void {
  const { status, info } = LIVE_FRAMES[event]
  app.sendMessage(target, status, event, info, phpEmpty(param) ? undefined : param, options)
}
