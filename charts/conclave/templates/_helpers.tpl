{{- define "conclave.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "conclave.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* conclave.component: "<fullname>-<component>" (ctx: dict root component) */}}
{{- define "conclave.component" -}}
{{- printf "%s-%s" (include "conclave.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "conclave.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: conclave
{{ include "conclave.selectorLabels" . }}
{{- end -}}

{{- define "conclave.selectorLabels" -}}
app.kubernetes.io/name: {{ include "conclave.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* conclave.image (ctx: dict root component values) */}}
{{- define "conclave.image" -}}
{{- $img := .root.Values.image -}}
{{- $tag := .values.image.tag | default $img.tag | default .root.Chart.AppVersion -}}
{{- if $img.registry -}}
{{- printf "%s/%s/%s:%s" $img.registry $img.repositoryPrefix .values.image.repository $tag -}}
{{- else -}}
{{- printf "%s/%s:%s" $img.repositoryPrefix .values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "conclave.podSecurityContext" -}}
{{- $override := .values.podSecurityContext | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.podSecurityContext) $override) -}}
{{- end -}}

{{- define "conclave.containerSecurityContext" -}}
{{- toYaml .root.Values.containerSecurityContext -}}
{{- end -}}

{{- define "conclave.secretName" -}}
{{- required "secrets.existingSecret is required" .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Redis URL env var (ctx: dict root envName) */}}
{{- define "conclave.redisUrlEnv" -}}
{{- $root := .root -}}
{{- if $root.Values.redis.bundled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "conclave.secretName" $root }}, key: redis-password}
- name: {{ .envName }}
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:6379/0" (include "conclave.component" (dict "root" $root "component" "redis")) | quote }}
{{- else }}
- name: {{ .envName }}
  valueFrom:
    secretKeyRef: {name: {{ include "conclave.secretName" $root }}, key: redis-url}
{{- end }}
{{- end -}}

{{/* PostgreSQL URL env var */}}
{{- define "conclave.databaseUrlEnv" -}}
{{- if .Values.postgresql.bundled }}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "conclave.secretName" . }}, key: postgres-password}
- name: DATABASE_URL
  value: {{ printf "postgresql://%s:$(POSTGRES_PASSWORD)@%s:5432/%s" .Values.postgresql.user (include "conclave.component" (dict "root" . "component" "postgresql")) .Values.postgresql.database | quote }}
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ include "conclave.secretName" . }}, key: database-url}
{{- end }}
{{- end -}}

{{- define "conclave.sfuPublicUrl" -}}
{{- .Values.sfu.publicUrl | default (printf "wss://%s/v1/sfu" .Values.publicHost) -}}
{{- end -}}

{{/* HTTP GET probe on /healthz or /readyz (ctx: dict path port) */}}
{{/* A preStop sleep: the pod leaves every node's Service rules before it stops listening */}}
{{- define "conclave.shutdownDelay" -}}
{{- if gt (int .Values.shutdownDelaySeconds) 0 -}}
lifecycle:
  preStop:
    exec:
      command: ["sleep", "{{ int .Values.shutdownDelaySeconds }}"]
{{- end }}
{{- end -}}

{{- define "conclave.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
{{- end -}}


{{/* Environment of the API and of its migrate init container */}}
{{- define "conclave.apiEnv" -}}
- {name: CONCLAVE_MODE, value: distributed}
- {name: API_HOST, value: "0.0.0.0"}
- {name: API_PORT, value: {{ .Values.api.port | quote }}}
- {name: CONCLAVE_TRUST_PROXY, value: "true"}
- {name: CONCLAVE_CREATION, value: {{ .Values.api.creation | quote }}}
- {name: CONCLAVE_DEFAULT_MEETING_HOURS, value: {{ .Values.api.defaultMeetingHours | quote }}}
- {name: CONCLAVE_SFU_SELECTION, value: {{ .Values.api.sfuSelection | quote }}}
- {name: CONCLAVE_SFU_URL, value: {{ include "conclave.sfuPublicUrl" . | quote }}}
- {name: CONCLAVE_DS_URL, value: {{ printf "wss://%s/v1/ds" .Values.publicHost | quote }}}
- {name: LOG_LEVEL, value: {{ .Values.api.logLevel | quote }}}
- name: CONCLAVE_JOIN_TOKEN_PRIVATE_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "conclave.secretName" . }}, key: join-token-private-key}
- name: CONCLAVE_STATE_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "conclave.secretName" . }}, key: state-key}
{{- include "conclave.databaseUrlEnv" . | nindent 0 }}
{{- include "conclave.redisUrlEnv" (dict "root" . "envName" "REDIS_URL") | nindent 0 }}
{{- with .Values.api.extraEnv }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end -}}
