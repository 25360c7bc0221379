/**
 * The client's icons: Lucide's outlines (ISC licence, from npm), built into the page script as
 * inline SVG, so no icon font or CDN is fetched. Only the icons named here are bundled.
 * Icons are decoration: the control beside them carries the words.
 */
import {
  AudioLines,
  ChevronLeft,
  ChevronRight,
  CircleAlert,
  CircleDot,
  CircleStop,
  createElement,
  GalleryThumbnails,
  Hand,
  Info,
  type IconNode,
  LayoutGrid,
  Lock,
  MessageSquare,
  Mic,
  MicOff,
  PhoneOff,
  Pin,
  PinOff,
  RefreshCw,
  ScreenShare,
  ScreenShareOff,
  Settings,
  ShieldCheck,
  SignalHigh,
  SignalLow,
  SignalMedium,
  SignalZero,
  Smile,
  SwitchCamera,
  Users,
  Video,
  VideoOff,
  WifiOff,
  X,
} from 'lucide';

const ICONS = {
  alert: CircleAlert,
  camera: Video,
  cameraOff: VideoOff,
  chat: MessageSquare,
  close: X,
  e2ee: ShieldCheck,
  gallery: LayoutGrid,
  hand: Hand,
  info: Info,
  leave: PhoneOff,
  lock: Lock,
  mic: Mic,
  micOff: MicOff,
  nextPage: ChevronRight,
  offline: WifiOff,
  people: Users,
  pin: Pin,
  pinned: PinOff,
  previousPage: ChevronLeft,
  react: Smile,
  record: CircleDot,
  recordStop: CircleStop,
  retry: RefreshCw,
  screen: ScreenShare,
  screenOff: ScreenShareOff,
  settings: Settings,
  signalGood: SignalHigh,
  signalFair: SignalMedium,
  signalPoor: SignalLow,
  signalNone: SignalZero,
  speaker: GalleryThumbnails,
  speaking: AudioLines,
  switchCamera: SwitchCamera,
} satisfies Record<string, IconNode>;

export type IconName = keyof typeof ICONS;

/** A decorative inline SVG icon, hidden from screen readers. */
export function icon(name: IconName): SVGElement {
  const svg = createElement(ICONS[name], {
    class: `icon icon-${name}`,
    width: 20,
    height: 20,
    'aria-hidden': 'true',
    focusable: 'false',
  });
  svg.dataset['icon'] = name;
  return svg;
}

/** An icon that says something (muted, hand raised): read by screen readers as its label. */
export function stateIcon(name: IconName, label: string): HTMLElement {
  const wrap = document.createElement('span');
  wrap.className = 'state-icon';
  wrap.setAttribute('role', 'img');
  wrap.setAttribute('aria-label', label);
  wrap.title = label;
  wrap.append(icon(name));
  return wrap;
}
