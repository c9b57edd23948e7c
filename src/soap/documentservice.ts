// DocumentService v3 over SOAP: request element → use case → response element. The decoded
// objects already have the core's shape (camelCase of the wire names), so this file only routes.
import type { RequestService } from '../core/requests';
import type { SoapOperation } from './endpoint';
import type { Notification, SigningRequest, Task, TaskFilter, UserSession } from '../core/types';

/** response null marks the void operations (empty soap:Body). */
type Operation = SoapOperation<RequestService>;

const s = (v: unknown): string => v as string;
const list = (v: unknown): string[] => (v as string[] | undefined) ?? [];

/** Keyed by the request element's local name, as it arrives in soap:Body. */
export const DOCUMENT_OPERATIONS: Record<string, Operation> = {
  'create-request-request': {
    name: 'createRequest',
    response: 'create-request-response',
    run: async (ds, svc, i) => {
      const r = await ds.createRequest(svc, i.request as SigningRequest[]);
      return { requestId: r.requestIds, artifact: r.artifact };
    },
  },
  'get-request-request': {
    name: 'getRequest',
    response: 'get-request-response',
    run: async (ds, svc, i) => ({ request: await ds.getRequest(svc, s(i.requestId)) }),
  },
  'delete-request-request': {
    name: 'deleteRequest',
    response: 'delete-request-response',
    run: async (ds, svc, i) => ({ deleted: await ds.deleteRequest(svc, list(i.requestId)) }),
  },
  'create-artifact-request': {
    name: 'createArtifact',
    response: 'create-artifact-response',
    run: async (ds, svc, i) => ({ artifact: await ds.createArtifact(svc, s(i.requestId), s(i.taskId)) }),
  },
  'add-notification-request': {
    name: 'addNotification',
    response: null,
    run: async (ds, svc, i) => {
      await ds.addNotification(svc, s(i.requestId), i.taskId as string | undefined, i.notification as Notification);
      return null;
    },
  },
  'disable-notification-request': {
    name: 'disableNotification',
    response: null,
    run: async (ds, svc, i) => {
      await ds.disableNotification(svc, s(i.requestId), i.taskId as string | undefined, list(i.notificationId));
      return null;
    },
  },
  'get-task-request': {
    name: 'getTask',
    response: 'get-task-response',
    run: async (ds, svc, i) => ({ task: await ds.getTask(svc, s(i.requestId), s(i.taskId)) }),
  },
  'find-tasks-request': {
    name: 'findTasks',
    response: 'find-tasks-response',
    run: async (ds, svc, i) => ({
      task: await ds.findTasks(
        svc,
        i.filter as TaskFilter,
        i.fromIndex as number | undefined,
        i.toIndex as number | undefined,
        i.sortField as string | undefined,
        i.ascending as boolean | undefined,
      ),
    }),
  },
  'get-task-count-request': {
    name: 'getTaskCount',
    response: 'get-task-count-response',
    run: async (ds, svc, i) => ({ count: await ds.getTaskCount(svc, i.filter as TaskFilter) }),
  },
  'add-task-request': {
    name: 'addTask',
    response: 'add-task-response',
    run: async (ds, svc, i) => ({ artifact: await ds.addTask(svc, s(i.requestId), i.task as Task) }),
  },
  'disable-task-request': {
    name: 'disableTask',
    response: null,
    run: async (ds, svc, i) => {
      await ds.disableTask(svc, s(i.requestId), s(i.taskId));
      return null;
    },
  },
  'get-status-request': {
    name: 'getStatus',
    response: 'get-status-response',
    run: async (ds, svc, i) => ({ taskStatusInfo: await ds.getStatus(svc, list(i.requestId)) }),
  },
  'set-client-status-request': {
    name: 'setClientStatus',
    response: null,
    run: async (ds, svc, i) => {
      await ds.setClientStatus(svc, s(i.requestId), s(i.taskId), s(i.clientStatus));
      return null;
    },
  },
  'get-request-history-request': {
    name: 'getRequestHistory',
    response: 'get-request-history-response',
    run: async (ds, svc, i) => ({ event: await ds.getRequestHistory(svc, s(i.requestId), s(i.taskId)) }),
  },
  'create-usersession-request': {
    name: 'createUserSession',
    response: 'create-usersession-response',
    run: async (ds, svc, i) => ds.createUserSession(svc, i.userSession as UserSession) as unknown as Promise<Record<string, unknown>>,
  },
  'get-packaging-task-status-request': {
    name: 'getPackagingTaskStatus',
    response: 'get-packaging-task-status-response',
    run: async (ds, svc, i) => ({ packagingTaskStatusInfo: await ds.getPackagingTaskStatus(svc, list(i.requestId)) }),
  },
};
