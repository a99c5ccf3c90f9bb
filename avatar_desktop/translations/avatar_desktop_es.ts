<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
  <context>
    <name>Advice</name>
    <message>
      <source>The API key was refused. Check it in Settings.</source>
      <translation>La clave de API fue rechazada. Revísala en Ajustes.</translation>
    </message>
    <message>
      <source>That avatar does not exist for this account. Pick another one.</source>
      <translation>Ese avatar no existe en esta cuenta. Elige otro.</translation>
    </message>
    <message>
      <source>The account has no credits left. Add credits, then start again.</source>
      <translation>La cuenta no tiene créditos. Añade créditos y vuelve a empezar.</translation>
    </message>
    <message>
      <source>Too many sessions are open for this account. Stop the stale sessions, then start again.</source>
      <translation>Hay demasiadas sesiones abiertas en esta cuenta. Cierra las sesiones abandonadas y vuelve a empezar.</translation>
    </message>
    <message>
      <source>The service asked us to slow down. Trying again shortly.</source>
      <translation>El servicio pidió ir más despacio. Se reintentará en breve.</translation>
    </message>
    <message>
      <source>The avatar service had an error. Trying again.</source>
      <translation>El servicio del avatar tuvo un error. Reintentando.</translation>
    </message>
    <message>
      <source>The avatar service cannot be reached. Check the network.</source>
      <translation>No se puede contactar con el servicio del avatar. Revisa la red.</translation>
    </message>
    <message>
      <source>The avatar service did not answer in time.</source>
      <translation>El servicio del avatar no respondió a tiempo.</translation>
    </message>
    <message>
      <source>The avatar service answered something we do not understand. Try again later; the diagnostics hold its answer.</source>
      <translation>El servicio del avatar respondió algo que no entendemos. Inténtalo más tarde; el diagnóstico guarda su respuesta.</translation>
    </message>
    <message>
      <source>The service ended the session.</source>
      <translation>El servicio terminó la sesión.</translation>
    </message>
    <message>
      <source>The avatar's video did not arrive in time.</source>
      <translation>El vídeo del avatar no llegó a tiempo.</translation>
    </message>
    <message>
      <source>Could not join the avatar's room.</source>
      <translation>No se pudo entrar en la sala del avatar.</translation>
    </message>
    <message>
      <source>The app's video and sound engine stopped. Starting it again.</source>
      <translation>El motor de vídeo y sonido de la aplicación se detuvo. Se está iniciando de nuevo.</translation>
    </message>
    <message>
      <source>Something went wrong inside the app. Copy the diagnostics (View → Diagnostics) and send them to us.</source>
      <translation>Algo falló dentro de la aplicación. Copia el diagnóstico (Ver → Diagnóstico) y envíanoslo.</translation>
    </message>
    <message>
      <source>An avatar, voice or context in Settings is not one this service knows. Pick them from the lists in Settings.</source>
      <translation>Un avatar, una voz o un contexto de los Ajustes no es uno que este servicio conozca. Elígelos de las listas en Ajustes.</translation>
    </message>
    <message>
      <source>The avatar service refused the request. The diagnostics show its answer.</source>
      <translation>El servicio del avatar rechazó la petición. El diagnóstico muestra su respuesta.</translation>
    </message>
    <message>
      <source>The session reached its maximum length (a sandbox session lasts one minute). Press Start for a new one.</source>
      <translation>La sesión alcanzó su duración máxima (una sesión de prueba dura un minuto). Pulsa Iniciar para una nueva.</translation>
    </message>
    <message>
      <source>The service ended the session after a long time without activity. Press Start for a new one.</source>
      <translation>El servicio terminó la sesión tras mucho tiempo sin actividad. Pulsa Iniciar para una nueva.</translation>
    </message>
    <message>
      <source>The session was closed from elsewhere (another app or the account's dashboard).</source>
      <translation>La sesión se cerró desde otro lugar (otra aplicación o el panel de la cuenta).</translation>
    </message>
  </context>
  <context>
    <name>ChatPanel</name>
    <message>
      <source>You</source>
      <translation>Tú</translation>
    </message>
    <message>
      <source>Avatar</source>
      <translation>Avatar</translation>
    </message>
    <message>
      <source>The conversation appears here. Type below, or just talk.</source>
      <translation>Aquí aparece la conversación. Escribe abajo o, simplemente, habla.</translation>
    </message>
    <message>
      <source>replied in {0} ms</source>
      <translation>respondió en {0} ms</translation>
    </message>
    <message>
      <source>Type a message and press Enter</source>
      <translation>Escribe un mensaje y pulsa Intro</translation>
    </message>
    <message>
      <source>Send</source>
      <translation>Enviar</translation>
    </message>
    <message>
      <source>Ask the avatar</source>
      <translation>Preguntar al avatar</translation>
    </message>
    <message>
      <source>Say exactly</source>
      <translation>Decir tal cual</translation>
    </message>
    <message>
      <source>The avatar answers your message</source>
      <translation>El avatar responde a tu mensaje</translation>
    </message>
    <message>
      <source>The avatar says your words as they are</source>
      <translation>El avatar dice tus palabras tal cual</translation>
    </message>
  </context>
  <context>
    <name>HelpMenu</name>
    <message>
      <source>About avatar-desktop</source>
      <translation>Acerca de avatar-desktop</translation>
    </message>
    <message>
      <source>Keyboard shortcuts</source>
      <translation>Atajos de teclado</translation>
    </message>
    <message>
      <source>Talk with a HeyGen real-time avatar in a window of its own, or with the offline demo avatar when no account is set up.</source>
      <translation>Habla con un avatar de HeyGen en tiempo real en su propia ventana, o con el avatar de demostración sin conexión cuando no hay ninguna cuenta configurada.</translation>
    </message>
    <message>
      <source>Built with Qt {0}.</source>
      <translation>Hecho con Qt {0}.</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>Start</source>
      <translation>Iniciar</translation>
    </message>
    <message>
      <source>Stop</source>
      <translation>Detener</translation>
    </message>
    <message>
      <source>Interrupt</source>
      <translation>Interrumpir</translation>
    </message>
    <message>
      <source>Session</source>
      <translation>Sesión</translation>
    </message>
    <message>
      <source>Stop stale sessions</source>
      <translation>Cerrar sesiones abandonadas</translation>
    </message>
    <message>
      <source>Stop every session this account has open</source>
      <translation>Cierra todas las sesiones abiertas de esta cuenta</translation>
    </message>
    <message>
      <source>Copy diagnostics</source>
      <translation>Copiar diagnóstico</translation>
    </message>
    <message>
      <source>Diagnostics</source>
      <translation>Diagnóstico</translation>
    </message>
    <message>
      <source>Settings…</source>
      <translation>Ajustes…</translation>
    </message>
    <message>
      <source>&amp;Quit</source>
      <translation>&amp;Salir</translation>
    </message>
    <message>
      <source>&amp;File</source>
      <translation>&amp;Archivo</translation>
    </message>
    <message>
      <source>&amp;View</source>
      <translation>&amp;Ver</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>Ay&amp;uda</translation>
    </message>
    <message>
      <source>Keyboard shortcuts</source>
      <translation>Atajos de teclado</translation>
    </message>
    <message>
      <source>About avatar-desktop</source>
      <translation>Acerca de avatar-desktop</translation>
    </message>
    <message>
      <source>Diagnostics copied to the clipboard.</source>
      <translation>Diagnóstico copiado al portapapeles.</translation>
    </message>
    <message>
      <source>Closing: stopping the session…</source>
      <translation>Cerrando: deteniendo la sesión…</translation>
    </message>
    <message>
      <source>Settings saved.</source>
      <translation>Ajustes guardados.</translation>
    </message>
    <message>
      <source>Saved. The new settings apply after you stop this session.</source>
      <translation>Guardado. Los ajustes nuevos se aplican cuando detengas esta sesión.</translation>
    </message>
    <message>
      <source>No API key is stored for that backend: showing the offline demo.</source>
      <translation>No hay clave de API guardada para ese servicio: se muestra la demo sin conexión.</translation>
    </message>
    <message>
      <source>Enter</source>
      <translation>Intro</translation>
    </message>
    <message>
      <source>Send the message typed; start a session when none runs</source>
      <translation>Enviar el mensaje escrito; iniciar una sesión si no hay ninguna</translation>
    </message>
    <message>
      <source>Interrupt the avatar</source>
      <translation>Interrumpir al avatar</translation>
    </message>
    <message>
      <source>Hold Space</source>
      <translation>Mantener Espacio</translation>
    </message>
    <message>
      <source>Talk, in push-to-talk mode (not while typing)</source>
      <translation>Hablar, en el modo pulsar para hablar (no mientras escribes)</translation>
    </message>
    <message>
      <source>Show or hide diagnostics</source>
      <translation>Mostrar u ocultar el diagnóstico</translation>
    </message>
    <message>
      <source>Export the transcript</source>
      <translation>Exportar la transcripción</translation>
    </message>
    <message>
      <source>Record the conversation, or stop recording</source>
      <translation>Grabar la conversación, o dejar de grabar</translation>
    </message>
    <message>
      <source>Quit (the session is stopped first)</source>
      <translation>Salir (antes se detiene la sesión)</translation>
    </message>
    <message>
      <source>Live</source>
      <translation>En directo</translation>
    </message>
    <message>
      <source>The session failed.</source>
      <translation>La sesión ha fallado.</translation>
    </message>
    <message>
      <source>No speaker found: the avatar's voice cannot be played</source>
      <translation>No hay altavoz: no se puede reproducir la voz del avatar</translation>
    </message>
    <message>
      <source>The API key is kept for this run only.</source>
      <translation>La clave de API se guarda solo durante esta ejecución.</translation>
    </message>
    <message>
      <source>There is no system keychain here: the API key is kept for this run only.</source>
      <translation>Aquí no hay llavero del sistema: la clave de API se guarda solo durante esta ejecución.</translation>
    </message>
    <message>
      <source>Stopped {0} open session(s).</source>
      <translation>Se cerraron {0} sesiones abiertas.</translation>
    </message>
    <message>
      <source>Session {0}</source>
      <translation>Sesión {0}</translation>
    </message>
    <message>
      <source>Reconnecting (attempt {0} of {1})…</source>
      <translation>Reconectando (intento {0} de {1})…</translation>
    </message>
    <message>
      <source>The session could not be stopped in time.</source>
      <translation>No se pudo detener la sesión a tiempo.</translation>
    </message>
    <message>
      <source>That did not work: {0}</source>
      <translation>No funcionó: {0}</translation>
    </message>
    <message>
      <source>Trying again in {0} s (attempt {1} of {2})…</source>
      <translation>Reintentando en {0} s (intento {1} de {2})…</translation>
    </message>
    <message>
      <source>excellent</source>
      <translation>excelente</translation>
    </message>
    <message>
      <source>good</source>
      <translation>buena</translation>
    </message>
    <message>
      <source>poor</source>
      <translation>mala</translation>
    </message>
    <message>
      <source>lost</source>
      <translation>perdida</translation>
    </message>
    <message>
      <source>Connection: {0}</source>
      <translation>Conexión: {0}</translation>
    </message>
    <message>
      <source>RTT {0} ms</source>
      <translation>RTT {0} ms</translation>
    </message>
    <message>
      <source>{0} fps</source>
      <translation>{0} fps</translation>
    </message>
    <message>
      <source>Last reply {0} ms</source>
      <translation>Última respuesta {0} ms</translation>
    </message>
    <message>
      <source>Avatar: {0}</source>
      <translation>Avatar: {0}</translation>
    </message>
  </context>
  <context>
    <name>Preparation</name>
    <message>
      <source>Preparing the offline demo…</source>
      <translation>Preparando la demostración sin conexión…</translation>
    </message>
    <message>
      <source>Preparing the offline demo: building the local LiveKit server (once, about two minutes)…</source>
      <translation>Preparando la demostración sin conexión: compilando el servidor LiveKit local (una sola vez, unos dos minutos)…</translation>
    </message>
    <message>
      <source>The offline demo needs a network address other than loopback (WebRTC does not use 127.0.0.1), and this machine has none. Connect to any network, even without internet, then press Start.</source>
      <translation>La demostración sin conexión necesita una dirección de red distinta de la de bucle local (WebRTC no usa 127.0.0.1), y este equipo no tiene ninguna. Conéctate a cualquier red, aunque no tenga internet, y pulsa Iniciar.</translation>
    </message>
    <message>
      <source>The offline demo could not start. Press Start to try again; the diagnostics say why.</source>
      <translation>La demostración sin conexión no pudo iniciarse. Pulsa Iniciar para intentarlo de nuevo; el diagnóstico dice por qué.</translation>
    </message>
  </context>
  <context>
    <name>Recording</name>
    <message>
      <source>Record</source>
      <translation>Grabar</translation>
    </message>
    <message>
      <source>Record the conversation to a video file (Ctrl+R)</source>
      <translation>Graba la conversación en un archivo de vídeo (Ctrl+R)</translation>
    </message>
    <message>
      <source>You</source>
      <translation>Tú</translation>
    </message>
    <message>
      <source>Avatar</source>
      <translation>Avatar</translation>
    </message>
    <message>
      <source>Recording begins when the session is live.</source>
      <translation>La grabación empieza cuando la sesión esté en directo.</translation>
    </message>
    <message>
      <source>Recording stopped: {0}. The file so far is kept.</source>
      <translation>La grabación se detuvo: {0}. Se conserva el archivo hasta ese momento.</translation>
    </message>
    <message>
      <source>Could not record: {0}</source>
      <translation>No se pudo grabar: {0}</translation>
    </message>
    <message>
      <source>REC {0} · {1}</source>
      <translation>GRAB {0} · {1}</translation>
    </message>
    <message>
      <source>Recording saved to {0}.</source>
      <translation>Grabación guardada en {0}.</translation>
    </message>
  </context>
  <context>
    <name>SessionState</name>
    <message>
      <source>Something went wrong.</source>
      <translation>Algo salió mal.</translation>
    </message>
    <message>
      <source>Ready. Press Start to meet the avatar.</source>
      <translation>Listo. Pulsa Iniciar para conocer al avatar.</translation>
    </message>
    <message>
      <source>Creating session…</source>
      <translation>Creando sesión…</translation>
    </message>
    <message>
      <source>Connecting…</source>
      <translation>Conectando…</translation>
    </message>
    <message>
      <source>Waiting for the avatar…</source>
      <translation>Esperando al avatar…</translation>
    </message>
    <message>
      <source>Live</source>
      <translation>En directo</translation>
    </message>
    <message>
      <source>Reconnecting…</source>
      <translation>Reconectando…</translation>
    </message>
    <message>
      <source>Ending the session…</source>
      <translation>Terminando la sesión…</translation>
    </message>
    <message>
      <source>Gave up after {0} attempts. Press Start to try again.</source>
      <translation>Se abandonó tras {0} intentos. Pulsa Iniciar para volver a intentarlo.</translation>
    </message>
    <message>
      <source>Creating a new session (attempt {0} of {1})…</source>
      <translation>Creando una sesión nueva (intento {0} de {1})…</translation>
    </message>
  </context>
  <context>
    <name>SettingsDialog</name>
    <message>
      <source>No key stored: the offline demo runs.</source>
      <translation>No hay ninguna clave guardada: se muestra la demo sin conexión.</translation>
    </message>
    <message>
      <source>Settings</source>
      <translation>Ajustes</translation>
    </message>
    <message>
      <source>Default: the service's own address</source>
      <translation>Por defecto: la dirección del propio servicio</translation>
    </message>
    <message>
      <source>Without a context, a LiveAvatar FULL avatar ignores what you say.</source>
      <translation>Sin un contexto, un avatar LiveAvatar FULL ignora lo que dices.</translation>
    </message>
    <message>
      <source>System</source>
      <translation>Sistema</translation>
    </message>
    <message>
      <source>Sandbox (free, one-minute sessions)</source>
      <translation>Sandbox (gratis, sesiones de un minuto)</translation>
    </message>
    <message>
      <source>Start a session when the app opens (uses credits)</source>
      <translation>Iniciar una sesión al abrir la aplicación (consume créditos)</translation>
    </message>
    <message>
      <source>Choose…</source>
      <translation>Elegir…</translation>
    </message>
    <message>
      <source>As the avatar's video</source>
      <translation>Como el vídeo del avatar</translation>
    </message>
    <message>
      <source>720p at most (smaller files)</source>
      <translation>720p como máximo (archivos más pequeños)</translation>
    </message>
    <message>
      <source>Record my microphone too (both sides)</source>
      <translation>Grabar también mi micrófono (las dos partes)</translation>
    </message>
    <message>
      <source>Backend</source>
      <translation>Servicio</translation>
    </message>
    <message>
      <source>API key</source>
      <translation>Clave de API</translation>
    </message>
    <message>
      <source>Service address</source>
      <translation>Dirección del servicio</translation>
    </message>
    <message>
      <source>Avatar</source>
      <translation>Avatar</translation>
    </message>
    <message>
      <source>Voice</source>
      <translation>Voz</translation>
    </message>
    <message>
      <source>Context</source>
      <translation>Contexto</translation>
    </message>
    <message>
      <source>Video quality</source>
      <translation>Calidad de vídeo</translation>
    </message>
    <message>
      <source>Avatar's language</source>
      <translation>Idioma del avatar</translation>
    </message>
    <message>
      <source>App language</source>
      <translation>Idioma de la aplicación</translation>
    </message>
    <message>
      <source>Video deadline</source>
      <translation>Plazo para el vídeo</translation>
    </message>
    <message>
      <source>Recordings folder</source>
      <translation>Carpeta de grabaciones</translation>
    </message>
    <message>
      <source>Recording size</source>
      <translation>Tamaño de la grabación</translation>
    </message>
    <message>
      <source>The environment variable wins over the keychain and over a key typed here, while {0} is set.</source>
      <translation>La variable de entorno tiene prioridad sobre el llavero y sobre una clave escrita aquí, mientras {0} esté definida.</translation>
    </message>
    <message>
      <source>Or set the environment variable {0} before starting the app: it wins over the keychain.</source>
      <translation>O define la variable de entorno {0} antes de abrir la aplicación: tiene prioridad sobre el llavero.</translation>
    </message>
    <message>
      <source>The new key will be kept in the system keychain.</source>
      <translation>La nueva clave se guardará en el llavero del sistema.</translation>
    </message>
    <message>
      <source>The key is kept in the system keychain. Type a new one to replace it.</source>
      <translation>La clave está guardada en el llavero del sistema. Escribe otra para sustituirla.</translation>
    </message>
    <message>
      <source>The key is kept for this run only.</source>
      <translation>La clave se guarda solo para esta ejecución.</translation>
    </message>
    <message>
      <source>Demo (offline avatar)</source>
      <translation>Demo (avatar sin conexión)</translation>
    </message>
    <message>
      <source>LiveAvatar</source>
      <translation>LiveAvatar</translation>
    </message>
    <message>
      <source>HeyGen Streaming (v1)</source>
      <translation>HeyGen Streaming (v1)</translation>
    </message>
    <message>
      <source>Stored in the system keychain</source>
      <translation>Se guarda en el llavero del sistema</translation>
    </message>
    <message>
      <source>Kept for this run only</source>
      <translation>Se guarda solo para esta ejecución</translation>
    </message>
    <message>
      <source>Keep the key for this run only (forgotten when the app exits)</source>
      <translation>Guardar la clave solo para esta ejecución (se olvida al salir de la aplicación)</translation>
    </message>
    <message>
      <source>Keep the key for this run only: there is no system keychain here</source>
      <translation>Guardar la clave solo para esta ejecución: aquí no hay llavero del sistema</translation>
    </message>
    <message>
      <source>The demo needs no key.</source>
      <translation>La demo no necesita clave.</translation>
    </message>
    <message>
      <source>The new key will be kept for this run only (there is no system keychain here).</source>
      <translation>La nueva clave se guardará solo para esta ejecución (aquí no hay llavero del sistema).</translation>
    </message>
    <message>
      <source>The new key will be kept for this run only.</source>
      <translation>La nueva clave se guardará solo para esta ejecución.</translation>
    </message>
    <message>
      <source>The key is kept for this run only (there is no system keychain here).</source>
      <translation>La clave se guarda solo para esta ejecución (aquí no hay llavero del sistema).</translation>
    </message>
    <message>
      <source>Using the key from the environment variable {0}.</source>
      <translation>Se usa la clave de la variable de entorno {0}.</translation>
    </message>
  </context>
  <context>
    <name>TranscriptExport</name>
    <message>
      <source>Markdown (*.md)</source>
      <translation>Markdown (*.md)</translation>
    </message>
    <message>
      <source>JSON (*.json)</source>
      <translation>JSON (*.json)</translation>
    </message>
    <message>
      <source>SubRip subtitles (*.srt)</source>
      <translation>Subtítulos SubRip (*.srt)</translation>
    </message>
    <message>
      <source>Export transcript…</source>
      <translation>Exportar transcripción…</translation>
    </message>
    <message>
      <source>Avatar</source>
      <translation>Avatar</translation>
    </message>
    <message>
      <source>Export transcript</source>
      <translation>Exportar transcripción</translation>
    </message>
    <message>
      <source>You</source>
      <translation>Tú</translation>
    </message>
    <message>
      <source>Conversation with {0}, {1}</source>
      <translation>Conversación con {0}, {1}</translation>
    </message>
    <message>
      <source>Transcript saved to {0}.</source>
      <translation>Transcripción guardada en {0}.</translation>
    </message>
    <message>
      <source>{0} already exists. Replace it?</source>
      <translation>{0} ya existe. ¿Quieres reemplazarlo?</translation>
    </message>
    <message>
      <source>The transcript could not be saved to {0}.</source>
      <translation>No se pudo guardar la transcripción en {0}.</translation>
    </message>
    <message>
      <source>{0}

The conversation is still in the window: try another folder.</source>
      <translation>{0}

La conversación sigue en la ventana: prueba con otra carpeta.</translation>
    </message>
  </context>
  <context>
    <name>VideoView</name>
    <message>
      <source>Speaking</source>
      <translation>Hablando</translation>
    </message>
    <message>
      <source>Hearing you</source>
      <translation>Te escucha</translation>
    </message>
  </context>
  <context>
    <name>VoiceBar</name>
    <message>
      <source>Microphone</source>
      <translation>Micrófono</translation>
    </message>
    <message>
      <source>Turn your microphone on or off</source>
      <translation>Enciende o apaga tu micrófono</translation>
    </message>
    <message>
      <source>Push to talk</source>
      <translation>Pulsar para hablar</translation>
    </message>
    <message>
      <source>Hold to talk</source>
      <translation>Mantén pulsado para hablar</translation>
    </message>
    <message>
      <source>Your microphone's level</source>
      <translation>Nivel de tu micrófono</translation>
    </message>
    <message>
      <source>Speaker</source>
      <translation>Altavoz</translation>
    </message>
    <message>
      <source>System default</source>
      <translation>Predeterminado del sistema</translation>
    </message>
    <message>
      <source>In</source>
      <translation>Entrada</translation>
    </message>
    <message>
      <source>Out</source>
      <translation>Salida</translation>
    </message>
    <message>
      <source>no microphone was found</source>
      <translation>no se encontró ningún micrófono</translation>
    </message>
    <message>
      <source>No microphone could be opened ({0}). Typing still works.</source>
      <translation>No se pudo abrir ningún micrófono ({0}). Escribir sigue funcionando.</translation>
    </message>
  </context>
</TS>
