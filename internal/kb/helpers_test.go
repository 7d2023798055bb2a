package kb_test

import "time"

func testNow() time.Time { return time.Now().UTC() }
