package eventstream

import "encoding/json"

func jsonMessage(msg string) ([]byte, error) {
	return json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
}
