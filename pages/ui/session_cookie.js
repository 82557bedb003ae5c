// Writes (or clears) the sign-in cookie on the app's own origin (st.components.v2: inline, no iframe).
// The server sends the token once, right after a sign-in; a browser reload then carries the cookie
// in the WebSocket handshake, where st.context.cookies reads it. The server stores only the token's
// digest and checks it on every run, so clearing the cookie is a courtesy, not the sign-out itself.
export default function (component) {
  const { data } = component;
  if (!data || typeof data.name !== "string") return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const value = data.value ? encodeURIComponent(data.value) : "";
  const age = data.value ? Math.max(0, Math.floor(data.max_age || 0)) : 0;
  document.cookie = `${data.name}=${value}; Path=/; Max-Age=${age}; SameSite=Strict${secure}`;
}
