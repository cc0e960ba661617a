package queue

// The in-memory index of the embedded queue: which messages are visible, in
// flight or delayed, in what order. Message bodies stay in bbolt.

// Message states.
const (
	stateVisible uint8 = iota
	stateInFlight
	stateDelayed
)

// message is the in-memory index entry of one stored message.
type message struct {
	seq       uint64 // bbolt key within the queue; send order
	group     *group // FIFO only
	receives  int32  // ApproximateReceiveCount
	state     uint8
	firstRecv int64  // unix ms of the first receive, 0 before
	deadline  int64  // unix ns when an in-flight or delayed message turns visible
	nonce     uint64 // receipt nonce of the latest receive
	tidx      int32  // index in queue.timers, -1 when absent
	vidx      int32  // index in queue.visible (standard queues), -1 when absent
}

// group is a FIFO message group: visible messages in send order, and how
// many of its messages are in flight (while > 0 the group is locked).
type group struct {
	id       string
	msgs     []*message // visible, ascending seq
	inflight int
	hidx     int // index in queue.ready, -1 when absent
}

// seqHeap orders visible messages of a standard queue by send order.
type seqHeap []*message

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h seqHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].vidx, h[j].vidx = int32(i), int32(j)
}

// Push implements heap.Interface.
func (h *seqHeap) Push(x any) {
	m := x.(*message)
	m.vidx = int32(len(*h))
	*h = append(*h, m)
}

// Pop implements heap.Interface.
func (h *seqHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.vidx = -1
	return m
}

// timerHeap orders in-flight and delayed messages by the time they turn visible.
type timerHeap []*message

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].tidx, h[j].tidx = int32(i), int32(j)
}

// Push implements heap.Interface.
func (h *timerHeap) Push(x any) {
	m := x.(*message)
	m.tidx = int32(len(*h))
	*h = append(*h, m)
}

// Pop implements heap.Interface.
func (h *timerHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.tidx = -1
	return m
}

// groupHeap orders unlocked FIFO groups with visible messages by the send
// order of their first message, so the oldest waiting message goes first.
type groupHeap []*group

func (h groupHeap) Len() int           { return len(h) }
func (h groupHeap) Less(i, j int) bool { return h[i].msgs[0].seq < h[j].msgs[0].seq }
func (h groupHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}

// Push implements heap.Interface.
func (h *groupHeap) Push(x any) {
	g := x.(*group)
	g.hidx = len(*h)
	*h = append(*h, g)
}

// Pop implements heap.Interface.
func (h *groupHeap) Pop() any {
	old := *h
	g := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	g.hidx = -1
	return g
}
