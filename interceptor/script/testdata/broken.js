function process(event) {
  var x = ;
}
