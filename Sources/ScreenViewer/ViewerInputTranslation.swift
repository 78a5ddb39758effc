import CX11

/// Turns X core input events (X11 protocol §11 "Events": KeyPress, KeyRelease, ButtonPress,
/// ButtonRelease, MotionNotify) into `ViewerInputEvent`s in source-picture coordinates.
enum ViewerInputTranslation {
    static func translate(_ event: XEvent, layout: ViewerLayout) -> ViewerInputEvent? {
        var event = event
        let action: ViewerInputEvent.Action
        let (x, y, state): (Int32, Int32, UInt32)
        switch event.type {
        case ButtonPress, ButtonRelease:
            let button = Int(event.xbutton.button)
            action = event.type == ButtonPress ? .buttonPressed(button) : .buttonReleased(button)
            (x, y, state) = (event.xbutton.x, event.xbutton.y, event.xbutton.state)
        case MotionNotify:
            action = .pointerMoved
            (x, y, state) = (event.xmotion.x, event.xmotion.y, event.xmotion.state)
        case KeyPress, KeyRelease:
            var keysym: KeySym = 0
            XLookupString(&event.xkey, nil, 0, &keysym, nil)
            let code = UInt32(truncatingIfNeeded: keysym)
            action = event.type == KeyPress ? .keyPressed(keysym: code) : .keyReleased(keysym: code)
            (x, y, state) = (event.xkey.x, event.xkey.y, event.xkey.state)
        default:
            return nil
        }
        let point = layout.sourcePoint(windowX: Int(x), windowY: Int(y))
        return ViewerInputEvent(action: action, x: point.x, y: point.y, modifiers: ViewerModifiers(xState: state))
    }
}
