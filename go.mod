module xinqiao

go 1.25.0
