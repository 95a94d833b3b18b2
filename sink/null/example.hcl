# null sink example: takes and discards every event, to measure the rest of a flow.
sink "null" "k1" {
  channel    = "c1"
  batch_size = 1000
}
